using System.Text.Json.Serialization;

namespace FlexFunctions.Shared.Confirmations;

/// <summary>Source-generated serialization for the warehouse contract and the operator API.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    AllowTrailingCommas = false)]
[JsonSerializable(typeof(WarehouseEvent))]
[JsonSerializable(typeof(WarehouseItem))]
[JsonSerializable(typeof(IReadOnlyList<WarehouseItem>))]
[JsonSerializable(typeof(CanonicalEvent))]
[JsonSerializable(typeof(FailedEventList))]
[JsonSerializable(typeof(QueuedPoisonMessage))]
[JsonSerializable(typeof(PoisonQueueDepth))]
[JsonSerializable(typeof(ReplayReport))]
public sealed partial class ConfirmationsJson : JsonSerializerContext;
