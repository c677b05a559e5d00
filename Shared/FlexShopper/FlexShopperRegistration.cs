using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Polly;

namespace FlexFunctions.Shared.FlexShopper;

[OptionsValidator]
internal sealed partial class FlexShopperOptionsValidator : IValidateOptions<FlexShopperOptions>;

internal static class FlexShopperRegistration
{
    public const string PipelineName = "flexshopper";

    public static IServiceCollection AddFlexShopperClient(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<FlexShopperOptions>()
            .Bind(configuration.GetSection(FlexShopperOptions.Section))
            .Validate(o => o.TotalTimeout > o.AttemptTimeout,
                "FlexShopper__TotalTimeout must be longer than FlexShopper__AttemptTimeout.")
            .Validate(o => o.CircuitBreakerSamplingDuration >= 2 * o.AttemptTimeout,
                "FlexShopper__CircuitBreakerSamplingDuration must be at least twice FlexShopper__AttemptTimeout.")
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<FlexShopperOptions>, FlexShopperOptionsValidator>();

        services.AddHttpClient<IFlexShopperClient, FlexShopperClient>((sp, http) =>
            {
                var options = sp.GetRequiredService<IOptions<FlexShopperOptions>>().Value;
                var baseUrl = options.BaseUrl!.ToString();
                http.BaseAddress = new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/");
                // The resilience pipeline owns timeouts; HttpClient's own would cut across them.
                http.Timeout = Timeout.InfiniteTimeSpan;
                http.DefaultRequestHeaders.Accept.ParseAdd("application/json");
            })
            // The services holding this client are singletons, so the handler is never swapped: recycle pooled
            // connections instead, so DNS changes (a FlexShopper failover) are picked up.
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            // The default handler logs full URLs, which carry customer emails; the client logs operations instead.
            .RemoveAllLoggers()
            .AddStandardResilienceHandler()
            .Configure((HttpStandardResilienceOptions pipeline, IServiceProvider sp) =>
                Apply(pipeline, sp.GetRequiredService<IOptions<FlexShopperOptions>>().Value));

        return services;
    }

    /// <summary>Maps our settings onto the standard pipeline: total timeout, retry, circuit breaker, attempt timeout.</summary>
    internal static void Apply(HttpStandardResilienceOptions pipeline, FlexShopperOptions options)
    {
        pipeline.TotalRequestTimeout.Timeout = options.TotalTimeout;
        pipeline.AttemptTimeout.Timeout = options.AttemptTimeout;

        pipeline.Retry.MaxRetryAttempts = Math.Max(1, options.MaxRetryAttempts);
        pipeline.Retry.Delay = options.RetryBaseDelay;
        pipeline.Retry.BackoffType = DelayBackoffType.Exponential;
        pipeline.Retry.UseJitter = true;
        pipeline.Retry.ShouldRetryAfterHeader = true;
        var isTransient = pipeline.Retry.ShouldHandle;
        var retriesEnabled = options.MaxRetryAttempts > 0;
        // Passcodes, applications, leases, signing, finalize, payment methods and user creation must never be
        // sent twice by us: only requests marked retry-safe go round again.
        // A Retry-After longer than what is left of the total budget cannot be honoured: fail at once as
        // rate-limited, carrying the server's wait, instead of sleeping into the total timeout.
        var longestWait = options.TotalTimeout - options.AttemptTimeout;
        // A confirmation, cancel or return is resent within the call only when FlexShopper certainly did not act
        // (408, 429, 503, or no connection was made): after a timeout or a 500/502/504 it may have, and a second
        // send would confirm twice. The caller's ledger settles those on redelivery instead.
        pipeline.Retry.ShouldHandle = args =>
            retriesEnabled && IsSet(args.Context, FlexShopperClient.RetrySafe) && !WaitsLongerThan(args.Outcome.Result, longestWait)
            && (IsSet(args.Context, FlexShopperClient.RetryOnUnknownOutcome) || CertainlyNotApplied(args.Outcome))
                ? isTransient(args)
                : PredicateResult.False();

        pipeline.CircuitBreaker.FailureRatio = options.CircuitBreakerFailureRatio;
        pipeline.CircuitBreaker.MinimumThroughput = options.CircuitBreakerMinimumThroughput;
        pipeline.CircuitBreaker.SamplingDuration = options.CircuitBreakerSamplingDuration;
        pipeline.CircuitBreaker.BreakDuration = options.CircuitBreakerBreakDuration;
    }

    private static bool WaitsLongerThan(HttpResponseMessage? response, TimeSpan longest) =>
        response is not null && FlexShopperClient.RetryAfterOf(response) > longest;

    /// <summary>True when the upstream cannot have acted on the attempt.</summary>
    internal static bool CertainlyNotApplied(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Result: { } response } => FlexShopperApiException.NotAppliedStatus(response.StatusCode),
        { Exception: var error } => FlexShopperApiException.NotSent(error),
    };

    private static bool IsSet(ResilienceContext context, HttpRequestOptionsKey<bool> key) =>
        context.GetRequestMessage() is { } request
        && request.Options.TryGetValue(key, out var value)
        && value;
}
