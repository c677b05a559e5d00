using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace FlexFunctions.Shared.Confirmations;

/// <summary>
/// The stable business identity of an event: SHA-256 over its version, type, transaction, reference and items in
/// a canonical form (item order, whitespace and metadata such as <c>occurredAt</c> do not change it).
/// </summary>
public static class EventKey
{
    public static string Of(string type, string transactionId, string? reference, IReadOnlyList<WarehouseItem> items)
    {
        // Items as canonical JSON, sorted, so a producer that reorders lines still sends "the same" event.
        var lines = items.Select(i => JsonSerializer.Serialize(i, ConfirmationsJson.Default.WarehouseItem)).Order(StringComparer.Ordinal);
        var canonical = new CanonicalEvent(WarehouseEventTypes.CurrentVersion, type, transactionId, reference, [.. lines]);
        return Hash(JsonSerializer.SerializeToUtf8Bytes(canonical, ConfirmationsJson.Default.CanonicalEvent));
    }

    public static string Hash(string text) => Hash(Encoding.UTF8.GetBytes(text));

    private static string Hash(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}

/// <summary>The hashed form of an event; public only because the JSON context is.</summary>
public sealed record CanonicalEvent(int V, string Type, string TransactionId, string? Reference, IReadOnlyList<string> Items);
