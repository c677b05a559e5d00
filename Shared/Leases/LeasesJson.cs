using System.Text.Json.Serialization;
using FlexFunctions.Shared.FlexShopper.Models;

namespace FlexFunctions.Shared.Leases;

/// <summary>Source-generated JSON for the lease, checkout and transaction routes.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CreateLeaseInput))]
[JsonSerializable(typeof(SignLeaseInput))]
[JsonSerializable(typeof(CheckoutInput))]
[JsonSerializable(typeof(CreatedLease))]
[JsonSerializable(typeof(Lease))]
[JsonSerializable(typeof(SignedLease))]
[JsonSerializable(typeof(CheckoutResult))]
[JsonSerializable(typeof(FinalizeResult))]
[JsonSerializable(typeof(PurchaseTransaction))]
[JsonSerializable(typeof(TransactionPage))]
public sealed partial class LeasesJson : JsonSerializerContext;
