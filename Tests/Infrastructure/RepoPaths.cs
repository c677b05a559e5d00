namespace FlexFunctions.Tests.Infrastructure;

/// <summary>Finds files of the repository from the test output folder.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Of(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FlexFunctions.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("FlexFunctions.sln not found above " + AppContext.BaseDirectory);
    }
}
