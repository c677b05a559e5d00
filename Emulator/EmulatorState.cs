using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace FlexShopper.Emulator;

/// <summary>
/// Everything the emulator remembers, in memory, behind one lock: users, passcodes, customer tokens, leases,
/// transactions and what tests want to inspect afterwards (outbox, token-key violations, duplicate
/// confirmations, the request log).
/// </summary>
public sealed partial class EmulatorState
{
    private readonly Lock _gate = new();
    private readonly EmulatorOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, User> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _userIdsByEmail = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<Passcode> _passcodes = [];
    private readonly Dictionary<string, TokenGrant> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Transaction> _transactions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _transactionIdsByLease = new(StringComparer.Ordinal);
    private readonly List<OutboxMessage> _outbox = [];
    private readonly List<TokenKeyViolation> _violations = [];
    private readonly List<DuplicateConfirmation> _duplicates = [];
    private readonly List<ShipmentRecord> _shipments = [];
    private readonly List<RequestRecord> _requests = [];
    private HashSet<string> _apiKeys;
    private FaultState _faults;
    private int _nextUserId = 100_000;

    public EmulatorState(EmulatorOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _apiKeys = new HashSet<string>(options.ApiKeys.Count > 0 ? options.ApiKeys : EmulatorOptions.DefaultApiKeys, StringComparer.Ordinal);
        _faults = new FaultState(options.Faults.Clone());
    }

    public EmulatorOptions Options => _options;

    // ---- Gateway ----

    public bool IsKnownKey(string key)
    {
        lock (_gate)
        {
            return _apiKeys.Contains(key);
        }
    }

    /// <summary>Replaces the accepted keys, e.g. to retire a rotated key.</summary>
    public void SetApiKeys(IEnumerable<string> keys)
    {
        lock (_gate)
        {
            _apiKeys = new HashSet<string>(keys, StringComparer.Ordinal);
        }
    }

    public IReadOnlyList<string> ApiKeys
    {
        get
        {
            lock (_gate)
            {
                return [.. _apiKeys];
            }
        }
    }

    // ---- Faults ----

    public void SetFaults(FaultSettings settings)
    {
        lock (_gate)
        {
            _faults = new FaultState(settings.Clone());
        }
    }

    public FaultSettings Faults
    {
        get
        {
            lock (_gate)
            {
                return _faults.Settings.Clone();
            }
        }
    }

    /// <summary>Decides the fault for one request, using up counted faults.</summary>
    internal FaultDecision NextFault(string method, string path)
    {
        lock (_gate)
        {
            var f = _faults.Settings;
            var matches = (f.Methods.Count == 0 || f.Methods.Contains(method, StringComparer.OrdinalIgnoreCase))
                          && (f.PathContains.Count == 0 || f.PathContains.Any(p => path.Contains(p, StringComparison.OrdinalIgnoreCase)));
            if (!matches)
            {
                return new FaultDecision(0, FaultKind.None, 0);
            }

            var kind = FaultKind.None;
            if (f.RateLimitCount > 0)
            {
                f.RateLimitCount--;
                kind = FaultKind.RateLimited;
            }
            else if (f.Burst503Count > 0)
            {
                f.Burst503Count--;
                kind = FaultKind.Unavailable;
            }
            else if (f.HangCount > 0)
            {
                f.HangCount--;
                kind = FaultKind.Hang;
            }
            else if (f.LostResponseCount > 0)
            {
                f.LostResponseCount--;
                kind = FaultKind.LostResponse;
            }
            else if (f.ErrorRate > 0 && _faults.Random.NextDouble() < f.ErrorRate)
            {
                kind = FaultKind.ServerError;
            }

            return new FaultDecision(f.LatencyMs, kind, kind is FaultKind.Hang or FaultKind.LostResponse ? f.HangMs : f.RetryAfterSeconds);
        }
    }

    // ---- Inspection ----

    public IReadOnlyList<OutboxMessage> Outbox(string? userId = null, string? email = null)
    {
        lock (_gate)
        {
            return [.. _outbox.Where(m => (userId is null || m.UserId == userId)
                                           && (email is null || string.Equals(m.Email, email, StringComparison.OrdinalIgnoreCase)))];
        }
    }

    public IReadOnlyList<TokenKeyViolation> Violations
    {
        get
        {
            lock (_gate)
            {
                return [.. _violations];
            }
        }
    }

    public IReadOnlyList<DuplicateConfirmation> DuplicateConfirmations
    {
        get
        {
            lock (_gate)
            {
                return [.. _duplicates];
            }
        }
    }

    /// <summary>Every line of every accepted shipment confirmation, with its carrier and tracking.</summary>
    public IReadOnlyList<ShipmentRecord> Shipments
    {
        get
        {
            lock (_gate)
            {
                return [.. _shipments];
            }
        }
    }

    public IReadOnlyList<RequestRecord> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    internal void Record(RequestRecord record)
    {
        lock (_gate)
        {
            _requests.Add(record);
            if (_requests.Count > 10_000)
            {
                _requests.RemoveRange(0, 1_000); // a long local session must not grow without bound
            }
        }
    }

    public Health Health()
    {
        lock (_gate)
        {
            return new Health("ok", _users.Count, _transactions.Count, _options.ProductCount);
        }
    }

    /// <summary>Forgets every user, token, transaction and record; keeps keys and faults.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _users.Clear();
            _userIdsByEmail.Clear();
            _passcodes.Clear();
            _tokens.Clear();
            _transactions.Clear();
            _transactionIdsByLease.Clear();
            _outbox.Clear();
            _violations.Clear();
            _duplicates.Clear();
            _shipments.Clear();
            _requests.Clear();
            ResetApplies();
            ResetPaymentMethods();
        }
    }

    // ---- Customer tokens ----

    /// <summary>The user a token belongs to, refusing (and recording) a token presented with another key.</summary>
    public string ResolveCustomer(string? token, string apiKey, string method, string path)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            throw ApiError.Unauthorized("MissingCustomerToken", "A Customer-Token header is required for this resource.");
        }

        lock (_gate)
        {
            if (!_tokens.TryGetValue(token, out var grant))
            {
                throw ApiError.Unauthorized("InvalidCustomerToken", "The customer token is invalid or has expired.");
            }

            if (!string.Equals(grant.ApiKey, apiKey, StringComparison.Ordinal))
            {
                // FlexShopper may suspend both accounts for this; the emulator refuses and remembers.
                _violations.Add(new TokenKeyViolation(_time.GetUtcNow(), method, path, grant.UserId, Hint(grant.ApiKey), Hint(apiKey)));
                throw ApiError.Unauthorized("InvalidCustomerToken", "The customer token was not issued for this API key.");
            }

            return grant.UserId;
        }
    }

    private string Mint(string userId, string apiKey)
    {
        var token = "eyJ" + Base64Url(RandomNumberGenerator.GetBytes(24)) + "." + Base64Url(RandomNumberGenerator.GetBytes(24));
        _tokens[token] = new TokenGrant(userId, apiKey);
        return token;
    }

    // ---- Users ----

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

    // ---- Passcodes ----

    public void SendPasscode(string userId, SendPasscodeBody body)
    {
        var transport = body.Transport;
        if (transport is not ("sms" or "email" or "all"))
        {
            throw ApiError.Validation("transport", "transport must be 'sms', 'email' or 'all'.");
        }

        lock (_gate)
        {
            var user = FindUser(userId);
            var now = _time.GetUtcNow();
            // A new passcode replaces any earlier one still outstanding.
            foreach (var earlier in _passcodes.Where(p => p.UserId == userId))
            {
                earlier.Used = true;
            }

            var code = RandomNumberGenerator.GetInt32(0, 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
            var expires = now + _options.PasscodeLifetime;
            _passcodes.Add(new Passcode(userId, code, expires));
            _outbox.Add(new OutboxMessage(userId, user.Email, transport, code, now, expires));
        }
    }

    public TokenData Login(string userId, LoginBody body, string apiKey)
    {
        var given = Require(body.Passcode, "passcode");
        lock (_gate)
        {
            FindUser(userId);
            var now = _time.GetUtcNow();
            var match = _passcodes.FirstOrDefault(p => p.UserId == userId && !p.Used && p.Code == given.Trim());
            if (match is null)
            {
                throw new ApiError(400, "InvalidPasscode", "The passcode is invalid or has already been used.");
            }

            match.Used = true; // single use, even when it turns out to be expired
            if (now >= match.ExpiresAt)
            {
                throw new ApiError(400, "ExpiredPasscode", "The passcode has expired; request a new one.");
            }

            return new TokenData(Mint(userId, apiKey));
        }
    }

    // ---- Application ----

    public UserData Apply(string userId, ApplyBody body)
    {
        Require(body.Street1, "street1");
        Require(body.City, "city");
        if (body.RegionAbbr is not { Length: 2 })
        {
            throw ApiError.Validation("regionAbbr", "regionAbbr must be a 2-letter state code.");
        }

        Require(body.PostalCode, "postalCode");
        if (body.Country is not { Length: 2 })
        {
            throw ApiError.Validation("country", "country must be an ISO 3166-1 alpha-2 code.");
        }

        if (body.Ssn is null || !NineDigits().IsMatch(body.Ssn))
        {
            throw ApiError.Validation("ssn", "ssn must be 9 digits.");
        }

        if (body.DateOfBirth is null || !DateOnly.TryParseExact(body.DateOfBirth, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
        {
            throw ApiError.Validation("dateOfBirth", "dateOfBirth must be YYYY-MM-DD.");
        }

        var employment = body.EmploymentInformation ?? throw ApiError.Validation("employmentInformation", "employmentInformation is required.");
        if (employment.PayFrequency is not ("weekly" or "biweekly" or "semimonthly" or "monthly" or "yearly" or "none"))
        {
            throw ApiError.Validation("employmentInformation.payFrequency", "payFrequency must be weekly, biweekly, semimonthly, monthly, yearly or none.");
        }

        if (employment.MonthlyIncome is not { } income || income < 0)
        {
            throw ApiError.Validation("employmentInformation.monthlyIncome", "monthlyIncome must be a non-negative number of dollars.");
        }

        var bank = body.BankAccount ?? throw ApiError.Validation("bankAccount", "bankAccount is required.");
        if (bank.Routing is null || !IsAbaRoutingNumber(bank.Routing))
        {
            throw ApiError.Validation("bankAccount.routing", "bankAccount.routing is not a valid ABA routing number.");
        }

        Require(bank.Account, "bankAccount.account");
        if (bank.Type is not ("checking" or "savings"))
        {
            throw ApiError.Validation("bankAccount.type", "bankAccount.type must be 'checking' or 'savings'.");
        }

        lock (_gate)
        {
            var user = _users[userId];
            user.Phone = body.MobilePhone;
            user.NormalizedAddress = Normalize(body.Street1) + "|" + Normalize(body.PostalCode);
            user.MonthlyIncome = income;
            user.KbaSetId = null;
            var outcome = TestData.OutcomeFor(body.Ssn, income);
            switch (outcome)
            {
                case ApplicationOutcome.Declined:
                    Decide(user, approved: false, "denied", 0m);
                    user.VerificationStatus = "succeeded";
                    break;
                case ApplicationOutcome.NeedsVerification:
                    Decide(user, approved: false, "pending", 0m);
                    user.VerificationStatus = "pending";
                    break;
                default:
                    Decide(user, approved: true, "approved", TestData.SpendingLimitFor(income));
                    user.VerificationStatus = "succeeded";
                    break;
            }

            return ToData(user);
        }
    }

    public QuestionsData Questions(string userId)
    {
        lock (_gate)
        {
            var user = _users[userId];
            if (user.VerificationStatus != "pending")
            {
                throw new ApiError(400, "VerificationNotPending", "This customer has no identity verification pending.");
            }

            user.KbaSetId ??= "kba-" + Base64Url(RandomNumberGenerator.GetBytes(9));
            return new QuestionsData(user.KbaSetId, TestData.KbaQuestions);
        }
    }

    public UserData VerifyAnswers(string userId, VerifyAnswersBody body)
    {
        Require(body.Id, "id");
        if (body.Answers is not { Count: > 0 })
        {
            throw ApiError.Validation("answers", "answers must list one choice per question.");
        }

        lock (_gate)
        {
            var user = _users[userId];
            if (user.VerificationStatus != "pending" || user.KbaSetId is null)
            {
                throw new ApiError(400, "VerificationNotPending", "Ask for the verification questions first.");
            }

            if (user.KbaSetId != body.Id)
            {
                throw ApiError.Validation("id", "id does not match the question set that was issued.");
            }

            var correct = TestData.KbaAnswers.All(a => body.Answers.Any(given => given.QuestionId == a.Key && given.ChoiceId == a.Value));
            user.KbaSetId = null;
            if (correct)
            {
                Decide(user, approved: true, "approved", TestData.SpendingLimitFor(user.MonthlyIncome));
                user.VerificationStatus = "succeeded";
            }
            else
            {
                Decide(user, approved: false, "denied", 0m);
                user.VerificationStatus = "failed";
            }

            return ToData(user);
        }
    }

    public static RoutingData Routing(string routing) =>
        IsAbaRoutingNumber(routing) ? new RoutingData(true, TestData.BankNameFor(routing)) : new RoutingData(false, null);

    // ---- Leases ----

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
        if (total < _options.MinimumLeaseTotal)
        {
            throw new ApiError(400, "LeaseAmountNotSatisfied",
                $"The lease total must be at least {_options.MinimumLeaseTotal.ToString("0.00", CultureInfo.InvariantCulture)}.",
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

    // ---- Transactions ----

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

    public void ConfirmShipment(string id, ShipmentBody body)
    {
        for (var i = 0; i < (body.Items?.Count ?? 0); i++)
        {
            var it = body.Items![i];
            Require(it.Carrier, $"items[{i}].carrier");
            if (it.ShipDate is null || !DateOnly.TryParseExact(it.ShipDate, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            {
                throw ApiError.Validation($"items[{i}].shipDate", "shipDate must be YYYY-MM-DD.");
            }
        }

        // SKU is optional: a shipment line without one (carrier and date only) covers the whole transaction.
        var lines = body.Items is { Count: > 0 } && body.Items.All(i => !string.IsNullOrEmpty(i.Sku))
            ? body.Items.Select(i => new ItemQuantityBody(i.Sku, i.Quantity)).ToList()
            : null;
        Confirm(id, lines, "shipment",
            open: item => item.Signed - item.Canceled - item.Shipped,
            apply: (item, n) => item.Shipped += n);
        lock (_gate)
        {
            var at = _time.GetUtcNow();
            _shipments.AddRange((body.Items ?? []).Select(i => new ShipmentRecord(at, id, i.Sku, i.Quantity, i.Carrier, i.TrackingNumber, i.TrackingLink, i.ShipDate)));
        }
    }

    public void ConfirmReceipt(string id, ItemsBody body) =>
        // In-store orders are received without being shipped, so anything signed and not canceled can be received.
        Confirm(id, body.Items, "receipt",
            open: item => item.Signed - item.Canceled - item.Received,
            apply: (item, n) => item.Received += n);

    public CanceledData Cancel(string id, ItemsBody body)
    {
        lock (_gate)
        {
            var t = FindTransaction(id);
            var done = new List<ItemQuantityBody>();
            var failed = new List<ItemQuantityBody>();
            foreach (var (item, sku, wanted) in Requested(t, body.Items, failed))
            {
                var open = item.Quantity - item.Canceled - Math.Max(item.Shipped, item.Received);
                var n = wanted ?? open;
                if (n < 1 || n > open)
                {
                    failed.Add(new ItemQuantityBody(sku, wanted ?? 0));
                    continue;
                }

                item.Canceled += n;
                done.Add(new ItemQuantityBody(sku, n));
            }

            return new CanceledData(done, failed);
        }
    }

    public ReturnedData Return(string id, ItemsBody body)
    {
        lock (_gate)
        {
            var t = FindTransaction(id);
            var done = new List<ItemQuantityBody>();
            var failed = new List<ItemQuantityBody>();
            foreach (var (item, sku, wanted) in Requested(t, body.Items, failed))
            {
                // Only units that were signed and delivered (shipped or received) can come back, once.
                var open = Math.Max(item.Shipped, item.Received) - item.Returned;
                var n = wanted ?? open;
                if (!t.Signed || n < 1 || n > open)
                {
                    failed.Add(new ItemQuantityBody(sku, wanted ?? 0));
                    continue;
                }

                item.Returned += n;
                done.Add(new ItemQuantityBody(sku, n));
            }

            return new ReturnedData(done, failed);
        }
    }

    public CheckoutData Checkout(CheckoutBody body, string baseUrl)
    {
        var transactionId = Require(body.TransactionId, "transactionId");
        if (body.Items is not { Count: > 0 })
        {
            throw ApiError.Validation("items", "items must contain at least one item.");
        }

        var id = Base64Url(RandomNumberGenerator.GetBytes(12));
        return new CheckoutData(id, $"{baseUrl}/checkout?id={id}&transactionId={Uri.EscapeDataString(transactionId)}");
    }

    // ---- Catalog ----

    public ProductsData Products(int page)
    {
        var size = Math.Max(1, _options.ProductPageSize);
        var first = ((long)page - 1) * size;
        var products = new List<ProductData>();
        for (var n = first; n < Math.Min(first + size, _options.ProductCount); n++)
        {
            products.Add(TestData.Product((int)n + 1));
        }

        return new ProductsData(products);
    }

    // ---- Helpers (call under the lock) ----

    private void Confirm(string id, List<ItemQuantityBody>? requested, string kind, Func<Item, int> open, Action<Item, int> apply)
    {
        lock (_gate)
        {
            var t = FindTransaction(id);
            if (!t.Signed)
            {
                throw new ApiError(400, "LeaseNotSigned", "The lease for this transaction has not been signed.");
            }

            if (t.LeaseNumber is null)
            {
                throw new ApiError(400, "TransactionNotFinalized", "Finalize the transaction before confirming delivery.");
            }

            var failed = new List<ItemQuantityBody>();
            var targets = Requested(t, requested, failed).ToList();
            if (failed.Count > 0)
            {
                throw ApiError.Validation("items", $"Unknown SKU '{failed[0].Sku}' for this transaction.");
            }

            var wholeTransaction = requested is not { Count: > 0 };
            if (wholeTransaction && targets.All(x => open(x.Item) <= 0))
            {
                // Already confirmed: answered like a success (so retries are safe) but remembered for tests.
                _duplicates.Add(new DuplicateConfirmation(_time.GetUtcNow(), t.Id, kind, null));
                return;
            }

            foreach (var (item, sku, wanted) in targets)
            {
                var remaining = open(item);
                if (remaining <= 0)
                {
                    if (!wholeTransaction)
                    {
                        _duplicates.Add(new DuplicateConfirmation(_time.GetUtcNow(), t.Id, kind, sku));
                    }

                    continue;
                }

                var n = wanted ?? remaining;
                if (n > remaining)
                {
                    throw ApiError.Validation("items", $"Only {remaining} unit(s) of '{sku}' can still be confirmed.");
                }

                apply(item, n);
            }
        }
    }

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

    private User FindUser(string userId) =>
        _users.TryGetValue(userId, out var user) ? user : throw ApiError.NotFound("UserNotFound", "The user was not found.");

    private Transaction FindTransaction(string id) =>
        _transactions.TryGetValue(id, out var t) ? t : throw ApiError.NotFound("TransactionNotFound", "The transaction with the provided id was not found");

    private Transaction LeaseOf(string userId, string leaseId) =>
        _transactionIdsByLease.TryGetValue(leaseId, out var id) && _transactions[id] is { } t && t.UserId == userId
            ? t
            : throw ApiError.NotFound("LeaseNotFound", "The lease was not found");

    private decimal AvailableBalance(User user)
    {
        var limit = user.Decision?.SpendingLimit ?? 0m;
        var used = user.TransactionIds.Select(id => _transactions[id]).Where(t => t.Signed)
            .Sum(t => t.Items.Sum(i => i.Cost * (i.Quantity - i.Canceled - i.Returned)));
        return Math.Max(0m, limit - used);
    }

    private void Decide(User user, bool approved, string status, decimal limit) =>
        user.Decision = new DecisionData(approved, status, limit, limit, Math.Round(limit / TestData.TermWeeks, 2), _time.GetUtcNow(),
            "app-" + user.Id + "-" + _time.GetUtcNow().ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture));

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

    private static string Contract(Transaction t, User user)
    {
        var html = $"<html><body><h1>Lease-purchase agreement (emulator)</h1><p>Lessee: {System.Net.WebUtility.HtmlEncode(user.FirstName + " " + user.LastName)}</p>" +
                   $"<p>Transaction {System.Net.WebUtility.HtmlEncode(t.Id)}: cash price ${t.Total.ToString("0.00", CultureInfo.InvariantCulture)}, " +
                   $"{TestData.TermWeeks} weekly payments of ${t.Payment.ToString("0.00", CultureInfo.InvariantCulture)}.</p></body></html>";
        return Convert.ToBase64String(Encoding.UTF8.GetBytes(html));
    }

    private static string Require(string? value, string field) =>
        string.IsNullOrWhiteSpace(value) ? throw ApiError.Validation(field, $"{field} is required.") : value;

    /// <summary>The ABA check: 9 digits, weights 3-7-1, sum divisible by 10.</summary>
    internal static bool IsAbaRoutingNumber(string routing)
    {
        if (!NineDigits().IsMatch(routing))
        {
            return false;
        }

        int[] weights = [3, 7, 1, 3, 7, 1, 3, 7, 1];
        var sum = 0;
        for (var i = 0; i < 9; i++)
        {
            sum += (routing[i] - '0') * weights[i];
        }

        return sum % 10 == 0;
    }

    private static string Hint(string key) => key.Length <= 4 ? "****" : "****" + key[^4..];

    private static string Digits(string? s) => new((s ?? "").Where(char.IsAsciiDigit).ToArray());

    private static string Normalize(string? s) => new((s ?? "").ToUpperInvariant().Where(char.IsAsciiLetterOrDigit).ToArray());

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [GeneratedRegex(@"^\d{9}$")]
    private static partial Regex NineDigits();

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

    private sealed record TokenGrant(string UserId, string ApiKey);

    private sealed class Passcode(string userId, string code, DateTimeOffset expiresAt)
    {
        public string UserId { get; } = userId;
        public string Code { get; } = code;
        public DateTimeOffset ExpiresAt { get; } = expiresAt;
        public bool Used { get; set; }
    }

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

    private sealed class FaultState(FaultSettings settings)
    {
        public FaultSettings Settings { get; } = settings;
        public Random Random { get; } = new(settings.Seed);
    }
}

internal enum FaultKind
{
    None,
    RateLimited,
    Unavailable,
    Hang,
    LostResponse,
    ServerError,
}

internal readonly record struct FaultDecision(int LatencyMs, FaultKind Kind, int Argument);
