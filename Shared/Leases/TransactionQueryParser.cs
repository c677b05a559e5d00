using System.Globalization;
using FlexFunctions.Shared.FlexShopper.Models;
using FlexFunctions.Shared.Http;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace FlexFunctions.Shared.Leases;

/// <summary>Reads the List Transactions query string: each bad parameter is named, none reaches FlexShopper.</summary>
public static class TransactionQueryParser
{
    public static (TransactionQuery? Query, IActionResult? Problem) Parse(IQueryCollection query)
    {
        var errors = new FieldErrors();
        string? status = query["leaseStatus"];
        if (status is not null and not "signed" and not "pending")
        {
            errors.Add("leaseStatus", "Must be 'signed' or 'pending'.");
        }

        int? Int(string name, int min, int max)
        {
            string? raw = query[name];
            if (raw is null)
            {
                return null;
            }

            if (int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
            {
                return value;
            }

            errors.Add(name, $"Must be a whole number from {min} to {max}.");
            return null;
        }

        DateOnly? Date(string name)
        {
            string? raw = query[name];
            if (raw is null)
            {
                return null;
            }

            if (DateOnly.TryParseExact(raw, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var value))
            {
                return value;
            }

            errors.Add(name, "Must be a date as YYYY-MM-DD.");
            return null;
        }

        var result = new TransactionQuery
        {
            LeaseStatus = status,
            Page = Int("page", 1, 10_000),
            Limit = Int("limit", 1, 100),
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
