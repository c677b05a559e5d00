using System.Diagnostics;
using FlexFunctions.Tests.Infrastructure;

namespace FlexFunctions.Tests.Infra;

/// <summary>
/// scripts/azd-preprovision.sh, run by azd before every provision, against stand-in <c>az</c> and <c>azd</c>
/// commands that record how they were called: it registers Microsoft.App for private networking and picks the
/// vault's create mode after a teardown.
/// </summary>
public sealed class PreprovisionHookTests : IDisposable
{
    private readonly string _bin = Directory.CreateTempSubdirectory("flexfunctions-hook-").FullName;

    public PreprovisionHookTests()
    {
        // az: logs its arguments; `keyvault show-deleted` answers as STUB_VAULT says (deleted, missing, or an error).
        Stub("az", """
            echo "az $*" >> "$STUB_LOG"
            case "$1 $2" in
              "keyvault show-deleted")
                case "$STUB_VAULT" in
                  deleted) echo "kv-flex-abc" ;;
                  missing) echo "ERROR: (VaultNotFound) Vault kv-flex-abc was not found" >&2; exit 3 ;;
                  *) echo "ERROR: Please run 'az login' to setup account." >&2; exit 1 ;;
                esac ;;
            esac
            """);
        Stub("azd", """echo "azd $*" >> "$STUB_LOG" """);
    }

    [Fact]
    public void Azure_yaml_runs_the_hook_before_every_provision()
    {
        var yaml = File.ReadAllText(RepoPaths.Of("azure.yaml"));

        Assert.Matches(@"(?m)^hooks:\s*$(\r?\n\s+#.*$)*\r?\n  preprovision:\s*$(\r?\n    \w+:.*$)*\r?\n    run: \./scripts/azd-preprovision\.sh\s*$", yaml);
        Assert.True(File.Exists(RepoPaths.Of("scripts/azd-preprovision.sh")));
    }

    [Fact]
    public void Private_networking_registers_the_Microsoft_App_provider_in_azds_subscription()
    {
        var (exit, calls, _) = Run(new() { ["ENABLE_PRIVATE_NETWORKING"] = "true", ["AZURE_SUBSCRIPTION_ID"] = "sub-1" });

        Assert.Equal(0, exit);
        Assert.Contains("az provider register --namespace Microsoft.App --wait --subscription sub-1", calls);
    }

    [Fact]
    public void Without_private_networking_no_provider_is_registered()
    {
        var (exit, calls, _) = Run(new() { ["ENABLE_PRIVATE_NETWORKING"] = "false" });

        Assert.Equal(0, exit);
        Assert.DoesNotContain(calls, c => c.Contains("provider register", StringComparison.Ordinal));
    }

    [Fact]
    public void A_soft_deleted_vault_from_the_last_deployment_is_recovered()
    {
        var (exit, calls, _) = Run(new() { ["AZURE_KEY_VAULT_NAME"] = "kv-flex-abc", ["STUB_VAULT"] = "deleted" });

        Assert.Equal(0, exit);
        Assert.Contains("az keyvault show-deleted --name kv-flex-abc --query name --output tsv", calls);
        Assert.Equal("azd env set AZURE_KEY_VAULT_CREATE_MODE recover", calls[^1]);
    }

    [Fact]
    public void A_vault_that_is_not_deleted_is_provisioned_normally()
    {
        var (exit, calls, _) = Run(new() { ["AZURE_KEY_VAULT_NAME"] = "kv-flex-abc", ["STUB_VAULT"] = "missing", ["AZURE_KEY_VAULT_CREATE_MODE"] = "recover" });

        Assert.Equal(0, exit);
        Assert.Equal("azd env set AZURE_KEY_VAULT_CREATE_MODE default", calls[^1]);
    }

    [Fact]
    public void When_the_check_itself_fails_the_choice_is_left_alone_and_the_reason_shown()
    {
        var (exit, calls, errors) = Run(new() { ["AZURE_KEY_VAULT_NAME"] = "kv-flex-abc", ["STUB_VAULT"] = "signed-out" });

        Assert.Equal(0, exit);
        Assert.DoesNotContain(calls, c => c.StartsWith("azd env set", StringComparison.Ordinal));
        Assert.Contains("az login", errors, StringComparison.Ordinal);
    }

    [Fact]
    public void A_first_provision_has_no_vault_to_check()
    {
        var (exit, calls, _) = Run([]);

        Assert.Equal(0, exit);
        Assert.Empty(calls);
    }

    [Fact]
    public void Private_networking_without_the_Azure_CLI_stops_with_what_to_install()
    {
        File.Delete(Path.Combine(_bin, "az"));

        var (exit, _, errors) = Run(new() { ["ENABLE_PRIVATE_NETWORKING"] = "true" });

        Assert.NotEqual(0, exit);
        Assert.Contains("Azure CLI", errors, StringComparison.Ordinal);
    }

    private (int Exit, List<string> Calls, string Errors) Run(Dictionary<string, string> environment)
    {
        var log = Path.Combine(_bin, "calls.log");
        File.Delete(log);
        var start = new ProcessStartInfo("/bin/sh", [RepoPaths.Of("scripts/azd-preprovision.sh")])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment.Clear();
        // Only the stand-ins (the hook needs nothing but shell built-ins): a real az or azd here is never reached.
        start.Environment["PATH"] = _bin;
        start.Environment["STUB_LOG"] = log;
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)), "the hook did not finish");
        _ = stdout.Result;
        var calls = File.Exists(log) ? File.ReadAllLines(log).Select(l => l.Trim()).ToList() : [];
        return (process.ExitCode, calls, stderr.Result);
    }

    private void Stub(string name, string body)
    {
        var path = Path.Combine(_bin, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows()) // the hook is a POSIX shell script; like Tests/Infra's Bicep CLI, these run on Linux
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    public void Dispose() => Directory.Delete(_bin, recursive: true);
}
