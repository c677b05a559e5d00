namespace FlexShopper.Emulator;

/// <summary>A FlexShopper error answer: thrown by the state, written as the <c>{"error": ...}</c> envelope.</summary>
public sealed class ApiError(int status, string code, string message, Dictionary<string, string>? data = null) : Exception(message)
{
    public int Status { get; } = status;
    public string Code { get; } = code;
    public Dictionary<string, string> Fields { get; } = data ?? [];

    public static ApiError Validation(string field, string message) =>
        new(400, "ValidationError", message, new Dictionary<string, string> { [field] = message });

    public static ApiError NotFound(string code, string message) => new(404, code, message);

    public static ApiError Unauthorized(string code, string message) => new(401, code, message);
}
