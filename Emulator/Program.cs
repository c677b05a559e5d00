using FlexShopper.Emulator;

// Usage:
//   FlexShopper.Emulator [serve] [--urls http://127.0.0.1:5080] [--Emulator:Faults:LatencyMs=200 ...]
//   FlexShopper.Emulator init-storage <path to local.settings.json> [storage connection string]
//   FlexShopper.Emulator put-message <path to local.settings.json> <json message> [storage connection string]
// The optional connection string replaces the settings' own (an Azurite on non-default ports).
var command = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "serve";
switch (command)
{
    case "serve":
        return await Serve(args.SkipWhile(a => a == "serve").ToArray());
    case "init-storage" when args.Length is 2 or 3:
        return await LocalStorageTool.InitAsync(args[1], args.ElementAtOrDefault(2));
    case "put-message" when args.Length is 3 or 4:
        return await LocalStorageTool.PutMessageAsync(args[1], args[2], args.ElementAtOrDefault(3));
    default:
        await Console.Error.WriteLineAsync("usage: FlexShopper.Emulator [serve] [--urls http://127.0.0.1:5080] | init-storage <local.settings.json> [connection] | put-message <local.settings.json> <json> [connection]");
        return 2;
}

static async Task<int> Serve(string[] args)
{
    var configuration = new ConfigurationBuilder()
        .AddEnvironmentVariables()
        .AddCommandLine(args)
        .Build();
    var options = new EmulatorOptions();
    configuration.GetSection(EmulatorOptions.Section).Bind(options);
    var url = configuration["urls"] ?? EmulatorOptions.DefaultUrl;
    WebApplication app;
    try
    {
        app = EmulatorApp.Build(options, url, args: args);
    }
    catch (ArgumentException ex)
    {
        // A setting it cannot honour (a non-loopback URL, an unknown return path): say which, and stop.
        await Console.Error.WriteLineAsync("FlexShopper emulator: " + ex.Message);
        return 2;
    }

    await using (app)
    {
        await app.StartAsync();
        Console.WriteLine(EmulatorApp.Banner(options, url));
        await app.WaitForShutdownAsync();
    }

    return 0;
}
