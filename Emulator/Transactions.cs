using System.Globalization;

namespace FlexShopper.Emulator;

/// <summary>Purchase transactions: read one, list them, and finalize a signed one.</summary>
public sealed partial class EmulatorState
{
    private readonly Dictionary<string, Transaction> _transactions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _transactionIdsByLease = new(StringComparer.Ordinal);

    public TransactionData GetTransaction(string id)
    {
        lock (_gate)
        {
            return ToData(FindTransaction(id));
        }
    }

    public TransactionsPageData ListTransactions(string? leaseStatus, int page, int limit, DateOnly? from, DateOnly? to)
    {
        lock (_gate)
        {
            var all = _transactions.Values
                .Where(t => leaseStatus is null || (leaseStatus == "signed") == t.Signed)
                .Where(t => from is null || DateOnly.FromDateTime(t.CreatedAt.UtcDateTime) >= from)
                .Where(t => to is null || DateOnly.FromDateTime(t.CreatedAt.UtcDateTime) <= to)
                .OrderBy(t => t.CreatedAt).ThenBy(t => t.Id, StringComparer.Ordinal).ToList();
            var rows = all.Skip((page - 1) * limit).Take(limit).Select(ToData).ToList();
            return new TransactionsPageData(rows, new MetaData(all.Count, Math.Max(1, (int)Math.Ceiling(all.Count / (double)limit)), page, limit));
        }
    }

    public FinalizeData Finalize(string id)
    {
        lock (_gate)
        {
            var t = FindTransaction(id);
            if (!t.Signed)
            {
                throw new ApiError(400, "LeaseNotSigned", "The lease for this transaction has not been signed.");
            }

            // Finalizing again answers the same numbers: it is a confirmation, not a new lease.
            t.LoanNumber ??= "LN" + Math.Abs(id.GetHashCode(StringComparison.Ordinal) % 10_000_000).ToString("D7", CultureInfo.InvariantCulture);
            t.LeaseNumber ??= "L" + (1_000_000 + _transactions.Values.Count(x => x.LeaseNumber is not null)).ToString(CultureInfo.InvariantCulture);
            return new FinalizeData(t.Id, t.LoanNumber, t.LeaseNumber);
        }
    }

    // ---- Helpers (call under the lock) ----

    private Transaction FindTransaction(string id) =>
        _transactions.TryGetValue(id, out var t) ? t : throw ApiError.NotFound("TransactionNotFound", "The transaction with the provided id was not found");

    /// <summary>The lines a cancel, return or confirmation names (every line when none is named); unknown SKUs go to <paramref name="failed"/>.</summary>
    private static IEnumerable<(Item Item, string Sku, int? Quantity)> Requested(Transaction t, List<ItemQuantityBody>? requested, List<ItemQuantityBody> failed)
    {
        if (requested is null || requested.Count == 0)
        {
            foreach (var item in t.Items)
            {
                yield return (item, item.Sku, null);
            }

            yield break;
        }

        foreach (var r in requested)
        {
            var item = t.Items.FirstOrDefault(i => i.Sku == r.Sku);
            if (item is null)
            {
                failed.Add(new ItemQuantityBody(r.Sku, r.Quantity ?? 0));
                continue;
            }

            yield return (item, item.Sku, r.Quantity);
        }
    }

    private void ResetTransactions()
    {
        _transactions.Clear();
        _transactionIdsByLease.Clear();
    }

    private static TransactionData ToData(Transaction t) => new()
    {
        Id = t.Id,
        CreatedAt = t.CreatedAt,
        ShippingCost = t.ShippingCost,
        OrderId = t.OrderId,
        Lease = new LeaseRefData(t.LeaseId, t.Signed ? "signed" : "pending"),
        LeaseNumber = t.LeaseNumber,
        LoanNumber = t.LoanNumber,
        Items = [.. t.Items.Select(i => new TransactionItemData(i.Sku, i.Description, i.Brand, i.Cost, i.Quantity, new Dictionary<string, int>
        {
            ["signed"] = i.Signed,
            ["shipped"] = i.Shipped,
            ["received"] = i.Received,
            ["canceled"] = i.Canceled,
            ["returned"] = i.Returned,
        }))],
    };

    private sealed class Transaction(string id, string userId, string leaseId, DateTimeOffset createdAt, decimal shippingCost, string? orderId, List<Item> items, decimal total)
    {
        public string Id { get; } = id;
        public string UserId { get; } = userId;
        public string LeaseId { get; } = leaseId;
        public DateTimeOffset CreatedAt { get; } = createdAt;
        public decimal ShippingCost { get; } = shippingCost;
        public string? OrderId { get; } = orderId;
        public List<Item> Items { get; } = items;
        public decimal Total { get; } = total;
        public decimal CostOfRental => Math.Round(Total * TestData.CostOfRentalFactor, 2);
        public decimal Payment => Math.Round(CostOfRental / TestData.TermWeeks, 2);
        public bool Signed { get; set; }
        public string? LoanNumber { get; set; }
        public string? LeaseNumber { get; set; }
    }

    private sealed class Item(string sku, string description, string brand, decimal cost, int quantity)
    {
        public string Sku { get; } = sku;
        public string Description { get; } = description;
        public string Brand { get; } = brand;
        public decimal Cost { get; } = cost;
        public int Quantity { get; } = quantity;
        public int Signed { get; set; }
        public int Shipped { get; set; }
        public int Received { get; set; }
        public int Canceled { get; set; }
        public int Returned { get; set; }
    }
}

public static partial class EmulatorApp
{
    private static void MapTransactions(RouteGroupBuilder v3, EmulatorState state)
    {
        v3.MapGet("/transactions", (HttpContext ctx) =>
        {
            var status = ctx.Request.Query["leaseStatus"].ToString();
            if (status.Length > 0 && status is not ("signed" or "pending"))
            {
                throw ApiError.Validation("leaseStatus", "leaseStatus must be 'signed' or 'pending'.");
            }

            return Ok(state.ListTransactions(status.Length == 0 ? null : status, IntQuery(ctx, "page", 1, 1, 1000), IntQuery(ctx, "limit", 20, 1, 1000),
                DateQuery(ctx, "fromDate"), DateQuery(ctx, "toDate")), Json.DataEnvelopeTransactionsPageData);
        });
        v3.MapGet("/transactions/{id}", (string id) => Ok(state.GetTransaction(id), Json.DataEnvelopeTransactionData));
        v3.MapPost("/transactions/{id}/finalize", (string id) => Ok(state.Finalize(id), Json.DataEnvelopeFinalizeData));
    }
}
