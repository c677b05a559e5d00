using System.Text.Json.Serialization;

namespace FlexFunctions.Shared.Health;

/// <summary>What the readiness route returns: overall status and each part with its own status and duration.</summary>
public sealed record ReadinessReport(string Status, double DurationMs, IReadOnlyList<ReadinessPart> Checks);

public sealed record ReadinessPart(string Name, string Status, double DurationMs, string? Description, IReadOnlyDictionary<string, long>? Data);

/// <summary>What the liveness route returns.</summary>
public sealed record LivenessReport(string Status);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ReadinessReport))]
[JsonSerializable(typeof(LivenessReport))]
public sealed partial class HealthJson : JsonSerializerContext;
