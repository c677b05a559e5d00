using Azure.Core;
using Azure.Core.Pipeline;

namespace FlexFunctions.Shared.Storage;

/// <summary>
/// Azure.Core policies added to every storage client the app builds (tables, the warehouse queue, entity group
/// transactions). Registered only by tests and benchmarks, which observe or delay storage requests with them; the app
/// itself registers none.
/// </summary>
public sealed class StoragePipelinePolicies
{
    private readonly (HttpPipelinePolicy Policy, HttpPipelinePosition Position)[] _policies;

    public StoragePipelinePolicies(params (HttpPipelinePolicy Policy, HttpPipelinePosition Position)[] policies) => _policies = policies;

    /// <summary>Adds every policy to <paramref name="options"/> and returns it.</summary>
    public T ApplyTo<T>(T options)
        where T : ClientOptions
    {
        ArgumentNullException.ThrowIfNull(options);
        foreach (var (policy, position) in _policies)
        {
            options.AddPolicy(policy, position);
        }

        return options;
    }
}
