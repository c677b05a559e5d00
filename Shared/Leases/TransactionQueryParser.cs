using System.Globalization;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Shared.Http;
using FlexFunctions.Shared.InputRules;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace FlexFunctions.Shared.Leases;

/// <summary>Reads the List Transactions query string: each bad parameter is named, none reaches FlexShopper.</summary>
public static class TransactionQueryParser
{
    public static readonly FieldRule LeaseStatuses = FieldRules.OneOf("signed", "pending");

    /// <summary>FlexShopper's documented page maximum.</summary>
    public const int MaxPage = 1000;

    /// <summary>The largest page we ask FlexShopper for.</summary>
    public const int MaxLimit = 100;

    public static (TransactionQuery? Query, IActionResult? Problem) Parse(IQueryCollection query)
    {
        var errors = new FieldErrors();
        string? status = query["leaseStatus"];
        errors.Check("leaseStatus", status, LeaseStatuses, required: false);

        int? Int(string name, int min, int max)
        {
            string? raw = query[name];
            if (raw is null)
            {
                return null;
            }

            // NumberStyles.None: ASCII digits only, no sign, spaces or separators.
            if (int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
            {
                return value;
            }

            errors.Add(name, string.Create(CultureInfo.InvariantCulture, $"Must be a whole number from {min} to {max}."));
            return null;
        }

        DateOnly? Date(string name)
        {
            string? raw = query[name];
            return errors.Check(name, raw, FieldRules.Date, required: false)
                ? DateOnly.ParseExact(raw!, "yyyy-MM-dd", CultureInfo.InvariantCulture)
                : null;
        }

        var result = new TransactionQuery
        {
            LeaseStatus = FieldRules.Given(status),
            Page = Int("page", 1, MaxPage),
            Limit = Int("limit", 1, MaxLimit),
            FromDate = Date("fromDate"),
            ToDate = Date("toDate"),
        };
        if (result.FromDate > result.ToDate)
        {
            errors.Add("fromDate", "Must not be after toDate.");
        }

        return errors.Any ? (null, errors.ToProblem()) : (result, null);
    }
}
