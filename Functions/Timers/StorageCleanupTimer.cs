using FlexFunctions.Shared.Retention;
using Microsoft.Azure.Functions.Worker;

namespace FlexFunctions.Functions.Timers;

/// <summary>Deletes expired rows on the UTC schedule in the <c>StorageCleanupSchedule</c> app setting (never on start-up).</summary>
public sealed class StorageCleanupTimer(StorageCleanup cleanup)
{
    public const string Name = "StorageCleanupTimer";

    [Function(Name)]
    public Task Run([TimerTrigger("%" + StorageCleanupOptions.ScheduleSetting + "%")] TimerInfo timer, CancellationToken cancellationToken) =>
        // A failed run throws (a failed invocation); one that ran out of budget resumes on the next tick.
        cleanup.RunAsync(cancellationToken);
}
