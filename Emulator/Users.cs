using System.Globalization;
using System.Text.RegularExpressions;

namespace FlexShopper.Emulator;

/// <summary>User management: create, look up (shallow and deep), list, and the current customer.</summary>
public sealed partial class EmulatorState
{
    private readonly Dictionary<string, User> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _userIdsByEmail = new(StringComparer.OrdinalIgnoreCase);
    private int _nextUserId = 100_000;

    public CreatedUserData CreateUser(CreateUserBody body, string apiKey)
    {
        Require(body.FirstName, "firstName");
        Require(body.LastName, "lastName");
        var email = Require(body.Email, "email").Trim();
        if (!EmailPattern().IsMatch(email))
        {
            throw ApiError.Validation("email", "email must be a valid email address.");
        }

        if (body.Locale is not null and not ("en" or "es"))
        {
            throw ApiError.Validation("locale", "locale must be 'en' or 'es'.");
        }

        lock (_gate)
        {
            if (_userIdsByEmail.ContainsKey(email))
            {
                throw new ApiError(409, "UserAlreadyExists", $"User already exists with email {email}",
                    new Dictionary<string, string> { ["email"] = email });
            }

            var user = new User((_nextUserId++).ToString(CultureInfo.InvariantCulture), body.FirstName!.Trim(), body.LastName!.Trim(), email, _time.GetUtcNow());
            _users[user.Id] = user;
            _userIdsByEmail[email] = user.Id;
            return new CreatedUserData(user.Id, Mint(user.Id, apiKey));
        }
    }

    public UserExistsData UserExists(string? email)
    {
        Require(email, "email");
        lock (_gate)
        {
            return _userIdsByEmail.TryGetValue(email!.Trim(), out var id) ? new UserExistsData(true, id) : new UserExistsData(false, null);
        }
    }

    public DeepExistsData DeepExists(DeepExistsBody body)
    {
        Require(body.Email, "email");
        lock (_gate)
        {
            var byEmail = _userIdsByEmail.TryGetValue(body.Email!.Trim(), out var id) ? _users[id] : null;
            var phone = Digits(body.Phone);
            var phoneExists = phone.Length > 0 && _users.Values.Any(u => Digits(u.Phone) == phone);
            var address = Normalize(body.Address?.Street1) + "|" + Normalize(body.Address?.PostalCode);
            var addressExists = body.Address is not null && _users.Values.Any(u => u.NormalizedAddress == address);
            return new DeepExistsData(byEmail is not null, phoneExists, addressExists);
        }
    }

    public UsersPageData ListUsers(int page, int limit)
    {
        lock (_gate)
        {
            var all = _users.Values.OrderBy(u => u.CreatedAt).ThenBy(u => u.Id, StringComparer.Ordinal).ToList();
            var users = all.Skip((page - 1) * limit).Take(limit).Select(ToData).ToList();
            return new UsersPageData(users, new MetaData(all.Count, Math.Max(1, (int)Math.Ceiling(all.Count / (double)limit)), page, limit));
        }
    }

    public UserData Me(string userId)
    {
        lock (_gate)
        {
            return ToData(_users[userId]);
        }
    }

    // Call under the lock.
    private User FindUser(string userId) =>
        _users.TryGetValue(userId, out var user) ? user : throw ApiError.NotFound("UserNotFound", "The user was not found.");

    private void ResetUsers()
    {
        _users.Clear();
        _userIdsByEmail.Clear();
    }

    private UserData ToData(User user) => new()
    {
        UserId = user.Id,
        FirstName = user.FirstName,
        LastName = user.LastName,
        Email = user.Email,
        CreatedAt = user.CreatedAt,
        Transactions = [.. user.TransactionIds.Select(id => _transactions[id])
            .Select(t => new UserTransactionData(t.Id, t.CreatedAt, new LeaseRefData(t.LeaseId, t.Signed ? "signed" : "unsigned")))],
        Decision = user.Decision is null ? null : user.Decision with { AvailableBalance = AvailableBalance(user) },
        VerificationStatus = user.VerificationStatus,
    };

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
    private static partial Regex EmailPattern();

    private sealed class User(string id, string firstName, string lastName, string email, DateTimeOffset createdAt)
    {
        public string Id { get; } = id;
        public string FirstName { get; } = firstName;
        public string LastName { get; } = lastName;
        public string Email { get; } = email;
        public DateTimeOffset CreatedAt { get; } = createdAt;
        public string? Phone { get; set; }
        public string? NormalizedAddress { get; set; }
        public decimal MonthlyIncome { get; set; }
        public DecisionData? Decision { get; set; }
        public string? VerificationStatus { get; set; }
        public string? KbaSetId { get; set; }
        public List<string> TransactionIds { get; } = [];
    }
}

public static partial class EmulatorApp
{
    private static void MapUsers(RouteGroupBuilder v3, EmulatorState state)
    {
        v3.MapPost("/users", async Task<IResult> (HttpContext ctx) =>
            Ok(state.CreateUser(await Body(ctx, Json.CreateUserBody), KeyOf(ctx)), Json.DataEnvelopeCreatedUserData));
        v3.MapGet("/users", (HttpContext ctx) =>
            Ok(state.ListUsers(IntQuery(ctx, "page", 1, 1, 1000), IntQuery(ctx, "limit", 10, 1, 1000)), Json.DataEnvelopeUsersPageData));
        v3.MapGet("/users/me", (HttpContext ctx) => Ok(state.Me(Customer(ctx, state)), Json.DataEnvelopeUserData));
        v3.MapGet("/user-exists", (HttpContext ctx) => Ok(state.UserExists(ctx.Request.Query["email"]), Json.DataEnvelopeUserExistsData));
        // The path 3 of 4 doc pages give (one 3.0-preview page says users/exists); the app's FlexShopperPaths agrees.
        v3.MapPost("/user/exists", async Task<IResult> (HttpContext ctx) => Ok(state.DeepExists(await Body(ctx, Json.DeepExistsBody)), Json.DataEnvelopeDeepExistsData));
    }
}
