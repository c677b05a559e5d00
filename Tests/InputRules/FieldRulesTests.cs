using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FlexFunctions.Shared.InputRules;
using FlexFunctions.Tests.Infrastructure;

namespace FlexFunctions.Tests.InputRules;

/// <summary>The one rule set: ASCII only, nothing after a final newline, no dot segments, and the API document says the same.</summary>
public sealed class FieldRulesTests
{
    /// <summary>A valid value of each rule that holds digits, and the rule.</summary>
    public static readonly TheoryData<string, string> DigitRules = new()
    {
        { nameof(FieldRules.Ssn), "123-45-6789" },
        { nameof(FieldRules.Passcode), "482913" },
        { nameof(FieldRules.BankAccount), "000123456789" },
        { nameof(FieldRules.RoutingNumber), "011000015" },
        { nameof(FieldRules.Zip), "33431-1234" },
        { nameof(FieldRules.Phone), "(561) 555-0100" },
        { nameof(FieldRules.CardLastFour), "4242" },
        { nameof(FieldRules.CardFirstSix), "424242" },
        { nameof(FieldRules.CardExpiry), "12/2029" },
        { nameof(FieldRules.Gtin), "012345678905" },
        { nameof(FieldRules.Date), "2026-03-01" },
        { nameof(FieldRules.IpAddress), "203.0.113.7" },
        { nameof(FieldRules.Identifier), "T-1001" },
        { nameof(FieldRules.LeaseId), "eyJhbGciOiJIUzI1NiJ9.eyJsZWFzZSI6MX0.c2ln" },
        { nameof(FieldRules.Code), "TV-55" },
    };

    [Theory]
    [MemberData(nameof(DigitRules))]
    public void Every_non_ASCII_decimal_digit_is_refused_where_a_digit_belongs(string name, string valid)
    {
        var rule = Rule(name);
        Assert.True(rule.Accepts(valid), $"{name} must accept {valid}");
        var at = valid.IndexOfAny("0123456789".ToCharArray());
        var foreign = Enumerable.Range(0, char.MaxValue + 1).Select(c => (char)c).Where(c => char.IsDigit(c) && !char.IsAsciiDigit(c)).ToList();
        Assert.True(foreign.Count > 300, "the BMP has hundreds of decimal digits outside ASCII");
        var accepted = foreign.Where(d => rule.Accepts(valid[..at] + d + valid[(at + 1)..])).ToList();
        Assert.True(accepted.Count == 0, $"{name} accepted {string.Join(" ", accepted.Select(c => $"U+{(int)c:X4}"))}");
    }

    [Theory]
    [MemberData(nameof(DigitRules))]
    public void Nothing_is_accepted_after_a_final_newline_or_with_a_NUL(string name, string valid)
    {
        var rule = Rule(name);
        Assert.All(new[] { valid + "\n", valid + "\r\n", valid + "\0", "\n" + valid, valid[..1] + "\0" + valid[1..] }, v => Assert.False(rule.Accepts(v), $"{name}: {v}"));
    }

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData("a/..")]
    [InlineData("../a")]
    [InlineData("a..b")]
    [InlineData(".hidden")]
    [InlineData("trailing.")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("%2e%2e")]
    [InlineData("a%2Fb")]
    [InlineData("a b")]
    [InlineData("a\tb")]
    [InlineData("T1' or PartitionKey ne '")]
    public void Identifiers_cannot_form_a_dot_segment_or_leave_their_path_segment(string value)
    {
        Assert.False(FieldRules.Identifier.Accepts(value));
        Assert.False(FieldRules.LeaseId.Accepts(value));
    }

    [Fact]
    public void Identifiers_have_one_length_and_lease_ids_may_be_JWT_long()
    {
        Assert.True(FieldRules.Identifier.Accepts(new string('a', FieldRules.MaxIdentifierLength)));
        Assert.False(FieldRules.Identifier.Accepts(new string('a', FieldRules.MaxIdentifierLength + 1)));
        Assert.True(FieldRules.Code.Accepts(new string('a', FieldRules.MaxIdentifierLength)));
        Assert.False(FieldRules.Code.Accepts(new string('a', FieldRules.MaxIdentifierLength + 1)));
        var jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + new string('x', 400) + ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        Assert.True(FieldRules.LeaseId.Accepts(jwt));
        Assert.False(FieldRules.Identifier.Accepts(jwt));
    }

    [Theory]
    [InlineData("123-45-6789", true)]
    [InlineData("123456789", true)]
    [InlineData("000-00-0000", false)]
    [InlineData("000-12-3456", false)]
    [InlineData("666-12-3456", false)]
    [InlineData("900-12-3456", false)]
    [InlineData("999-99-9999", false)]
    [InlineData("123-00-4567", false)]
    [InlineData("123-45-0000", false)]
    [InlineData("123-456789", false)]
    [InlineData("1234-56-789", false)]
    public void Ssns_the_SSA_cannot_issue_are_refused(string ssn, bool valid) => Assert.Equal(valid, FieldRules.Ssn.Accepts(ssn));

    [Theory]
    [InlineData("203.0.113.7", true)]
    [InlineData("2001:db8::1", true)]
    [InlineData("::ffff:203.0.113.7", true)]
    [InlineData("1", false)]
    [InlineData("127.1", false)]
    [InlineData("0x7f.0.0.1", false)]
    [InlineData("1.2.3.04", false)]
    [InlineData("fe80::1%eth0", false)]
    [InlineData("[::1]", false)]
    public void Ip_addresses_are_canonical(string ip, bool valid) => Assert.Equal(valid, FieldRules.IpAddress.Accepts(ip));

    [Fact]
    public void Text_takes_any_script_but_no_control_characters_or_broken_UTF16()
    {
        Assert.True(FieldRules.Text.Accepts("José Ñúñez 李小龍 😀"));
        Assert.All(new[] { "a\nb", "a\0b", "a\u2028b", "a\uD800b", "\uDC00", "   " }, v => Assert.False(FieldRules.Text.Accepts(v)));
    }

    [Fact]
    public void Every_generated_regex_in_the_app_uses_ASCII_classes_and_anchors_at_the_very_end()
    {
        var patterns = typeof(FieldRules).Assembly.GetTypes()
            .SelectMany(t => t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
            .Select(m => (Method: m, Attribute: m.GetCustomAttribute<GeneratedRegexAttribute>()))
            .Where(x => x.Attribute is not null)
            .ToList();
        Assert.True(patterns.Count >= 20, $"found only {patterns.Count} generated regexes");
        foreach (var (method, attribute) in patterns)
        {
            var pattern = attribute!.Pattern;
            var where = $"{method.DeclaringType!.Name}.{method.Name}: {pattern}";
            // \d, \w and \s match far more than ASCII; $ matches before a final newline.
            Assert.False(Regex.IsMatch(pattern, @"(?<!\\)\\[dwsDWS]"), where);
            Assert.True(pattern.EndsWith("\\z", StringComparison.Ordinal), where);
            Assert.DoesNotContain("$", pattern.Replace("\\$", "", StringComparison.Ordinal).Replace("$%", "", StringComparison.Ordinal), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_API_document_states_the_rules_the_code_checks()
    {
        var rules = AllRules().Where(r => r.Pattern is not null).ToList();
        var document = GeneratedApiDocument.Parse();
        var withPattern = Descendants(document).Where(o => o["pattern"] is not null).ToList();
        Assert.True(withPattern.Count >= 60, $"only {withPattern.Count} fields state a pattern");
        foreach (var field in withPattern)
        {
            var pattern = field["pattern"]!.GetValue<string>();
            var rule = rules.FirstOrDefault(r => r.Pattern == pattern && r.MaxLength == field["maxLength"]?.GetValue<int>());
            Assert.True(rule is not null, $"{field.GetPath()}: pattern {pattern} with maxLength {field["maxLength"]} is no rule of FieldRules");
            Assert.DoesNotContain("\\d", pattern, StringComparison.Ordinal);
        }
    }

    private static FieldRule Rule(string name) => (FieldRule)typeof(FieldRules).GetField(name)!.GetValue(null)!;

    private static IEnumerable<FieldRule> AllRules() =>
        typeof(FieldRules).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.FieldType == typeof(FieldRule)).Select(f => (FieldRule)f.GetValue(null)!);

    private static IEnumerable<JsonObject> Descendants(JsonNode node)
    {
        if (node is JsonObject obj)
        {
            yield return obj;
            foreach (var child in obj.Select(kv => kv.Value).OfType<JsonNode>().SelectMany(Descendants))
            {
                yield return child;
            }
        }
        else if (node is JsonArray array)
        {
            foreach (var child in array.OfType<JsonNode>().SelectMany(Descendants))
            {
                yield return child;
            }
        }
    }
}
