using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace FlexShopper.Emulator;

/// <summary>Leases: create (with the account's minimum and the spending limit), read, sign; and the hosted checkout.</summary>
public sealed partial class EmulatorState
{
    public CreatedLeaseData CreateLease(string userId, CreateLeaseBody body)
    {
        var transactionId = Require(body.TransactionId, "transactionId");
        if (body.Items is not { Count: > 0 })
        {
            throw ApiError.Validation("items", "items must contain at least one item.");
        }

        var items = new List<Item>();
        for (var i = 0; i < body.Items.Count; i++)
        {
            var it = body.Items[i];
            var at = $"items[{i}]";
            Require(it.Brand, at + ".brand");
            Require(it.Sku, at + ".sku");
            Require(it.Description, at + ".description");
            if (it.Cost is not { } cost || cost < 0)
            {
                throw ApiError.Validation(at + ".cost", "cost must be a non-negative number of dollars.");
            }

            if (it.Quantity is < 1)
            {
                throw ApiError.Validation(at + ".quantity", "quantity must be at least 1.");
            }

            items.Add(new Item(it.Sku!, it.Description!, it.Brand!, cost, it.Quantity ?? 1));
        }

        var shipping = body.Shipping?.Cost ?? 0m;
        var total = items.Sum(i => i.Cost * i.Quantity) + shipping - (body.TotalDiscount ?? 0m);
        if (total < _options.MinimumOrderValue)
        {
            throw new ApiError(400, "LeaseAmountNotSatisfied",
                $"The lease total must be at least {_options.MinimumOrderValue.ToString("0.00", CultureInfo.InvariantCulture)}.",
                new Dictionary<string, string> { ["total"] = total.ToString("0.00", CultureInfo.InvariantCulture) });
        }

        lock (_gate)
        {
            var user = _users[userId];
            var available = AvailableBalance(user);
            if (user.Decision is not { Approved: true } || total > available)
            {
                throw new ApiError(400, "ExceedSpendingLimitError", "The lease total exceeds the customer's available spending limit.",
                    new Dictionary<string, string> { ["availableBalance"] = available.ToString("0.00", CultureInfo.InvariantCulture) });
            }

            if (_transactions.ContainsKey(transactionId))
            {
                // Undocumented upstream; the emulator refuses a reused transactionId rather than guessing.
                throw new ApiError(409, "TransactionAlreadyExists", "A lease already exists for this transactionId.");
            }

            var leaseId = "eyJ" + Base64Url(RandomNumberGenerator.GetBytes(30));
            var transaction = new Transaction(transactionId, userId, leaseId, _time.GetUtcNow(), shipping, body.OrderId, items, total);
            _transactions[transactionId] = transaction;
            _transactionIdsByLease[leaseId] = transactionId;
            user.TransactionIds.Add(transactionId);
            return new CreatedLeaseData(leaseId, Contract(transaction, user), "weekly", TestData.TermWeeks,
                transaction.Payment, transaction.Total, transaction.CostOfRental);
        }
    }

    public LeaseData GetLease(string userId, string leaseId)
    {
        lock (_gate)
        {
            var t = LeaseOf(userId, leaseId);
            return new LeaseData(t.LeaseId, Contract(t, _users[userId]), t.Signed ? "signed" : "unsigned", "weekly", TestData.TermWeeks,
                t.Payment, t.Total, t.CostOfRental, IsExpired: false);
        }
    }

    public void Sign(string userId, string leaseId, SignBody body)
    {
        var ip = Require(body.IpAddress, "ipAddress");
        if (!System.Net.IPAddress.TryParse(ip, out _))
        {
            throw ApiError.Validation("ipAddress", "ipAddress must be the customer's device IP address.");
        }

        if (body.Signed != true)
        {
            throw ApiError.Validation("signed", "signed must be true.");
        }

        lock (_gate)
        {
            var t = LeaseOf(userId, leaseId);
            if (t.Signed)
            {
                return; // signing twice changes nothing
            }

            if (t.Id.StartsWith(TestData.PaymentRequiredPrefix, StringComparison.Ordinal))
            {
                throw new ApiError(402, "PaymentRequired", "A first payment is required before this lease can be signed.");
            }

            if (t.Total > AvailableBalance(_users[userId]))
            {
                throw new ApiError(400, "ExceedSpendingLimitError", "The lease total exceeds the customer's available spending limit.");
            }

            t.Signed = true;
            foreach (var item in t.Items)
            {
                item.Signed = item.Quantity;
            }
        }
    }

    /// <summary>Checkout, the hosted alternative to create and sign: a page FlexShopper runs, reached by redirect.</summary>
    public CheckoutData Checkout(CheckoutBody body, string baseUrl)
    {
        var transactionId = Require(body.TransactionId, "transactionId");
        if (body.Items is not { Count: > 0 })
        {
            throw ApiError.Validation("items", "items must contain at least one item.");
        }

        var id = RandomId(12);
        return new CheckoutData(id, $"{baseUrl}/checkout?id={id}&transactionId={Uri.EscapeDataString(transactionId)}");
    }

    // Call under the lock.
    private Transaction LeaseOf(string userId, string leaseId) =>
        _transactionIdsByLease.TryGetValue(leaseId, out var id) && _transactions[id] is { } t && t.UserId == userId
            ? t
            : throw ApiError.NotFound("LeaseNotFound", "The lease was not found");

    /// <summary>The spending limit minus the cost of signed units not canceled or returned (call under the lock).</summary>
    private decimal AvailableBalance(User user)
    {
        var limit = user.Decision?.SpendingLimit ?? 0m;
        var used = user.TransactionIds.Select(id => _transactions[id]).Where(t => t.Signed)
            .Sum(t => t.Items.Sum(i => i.Cost * (i.Quantity - i.Canceled - i.Returned)));
        return Math.Max(0m, limit - used);
    }

    private static string Contract(Transaction t, User user)
    {
        var html = $"<html><body><h1>Lease-purchase agreement (emulator)</h1><p>Lessee: {System.Net.WebUtility.HtmlEncode(user.FirstName + " " + user.LastName)}</p>" +
                   $"<p>Transaction {System.Net.WebUtility.HtmlEncode(t.Id)}: cash price ${t.Total.ToString("0.00", CultureInfo.InvariantCulture)}, " +
                   $"{TestData.TermWeeks} weekly payments of ${t.Payment.ToString("0.00", CultureInfo.InvariantCulture)}.</p></body></html>";
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(html));
    }
}

public static partial class EmulatorApp
{
    private static void MapLeases(RouteGroupBuilder v3, EmulatorState state)
    {
        v3.MapPost("/leases", async Task<IResult> (HttpContext ctx) =>
        {
            var user = Customer(ctx, state);
            return Ok(state.CreateLease(user, await Body(ctx, Json.CreateLeaseBody)), Json.DataEnvelopeCreatedLeaseData);
        });
        v3.MapGet("/leases/{leaseId}", (HttpContext ctx, string leaseId) => Ok(state.GetLease(Customer(ctx, state), leaseId), Json.DataEnvelopeLeaseData));
        v3.MapPost("/leases/{leaseId}/sign", async Task<IResult> (HttpContext ctx, string leaseId) =>
        {
            var user = Customer(ctx, state);
            state.Sign(user, leaseId, await Body(ctx, Json.SignBody));
            return Ok(new EmptyData(), Json.DataEnvelopeEmptyData);
        });
        // Every doc page (3.1, v/master) says GET with a JSON body, and no source says POST: a POST meets the
        // gateway's "no Route matched", as a method Kong does not route would.
        v3.MapGet("/checkout", async Task<IResult> (HttpContext ctx) =>
            Ok(state.Checkout(await Body(ctx, Json.CheckoutBody), $"{ctx.Request.Scheme}://{ctx.Request.Host}"), Json.DataEnvelopeCheckoutData));
    }
}
