namespace Gkd.Native.Cli.Options;

/// <summary>What an option's value is, and so how it is written and read back.</summary>
public enum OptionKind
{
    /// <summary>One word, read as <c>string</c>.</summary>
    String,

    /// <summary>One integer, read as <c>int</c>.</summary>
    Int,

    /// <summary>One number (<c>2e-4</c>, <c>0.5</c>), read as <c>double</c> or <c>float</c>.</summary>
    Float,

    /// <summary>A switch: <c>--flag</c>, or <c>--flag true|false</c>; read as <c>bool</c>.</summary>
    Bool,

    /// <summary>One word out of a fixed set of choices, read as <c>string</c> (the declared spelling).</summary>
    Enum,

    /// <summary>One or more words (<c>--flag a b c</c>), read as <c>IReadOnlyList&lt;string&gt;</c>.</summary>
    List,

    /// <summary>
    /// A flag whose value may be left out (<c>--resume_from_checkpoint [PATH]</c>): absent gives no value, bare gives
    /// the declared bare value, <c>--flag true</c> the same, <c>--flag false</c> no value; read as <c>string</c>.
    /// </summary>
    OptionalValue,
}
