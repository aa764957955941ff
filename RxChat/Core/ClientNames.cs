using System.Globalization;
using System.Text;

namespace RxChat.Core;

/// <summary>
/// The naming rules of PROTOCOL.md, Entering: 1 to 32 code points, each a letter (L*), a combining mark (M*),
/// a decimal digit (Nd), <c>_</c>, <c>-</c> or <c>.</c>; unique among connected clients under
/// <see cref="StringComparer.OrdinalIgnoreCase"/>.
/// </summary>
public static class ClientNames
{
    /// <summary>The longest name, in Unicode code points.</summary>
    public const int MaxLength = 32;

    /// <summary>How names are compared for uniqueness.</summary>
    public static StringComparer Comparer => StringComparer.OrdinalIgnoreCase;

    /// <summary>
    /// Checks the form of a name (not its uniqueness). Returns null when valid, else the <c>error: </c> line
    /// that says why.
    /// </summary>
    /// <param name="name">A sanitised, trimmed candidate name.</param>
    /// <exception cref="ArgumentNullException"><paramref name="name"/> is null.</exception>
    public static string? Validate(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0)
        {
            return "error: name is empty";
        }

        var length = 0;
        foreach (var rune in name.EnumerateRunes())
        {
            if (++length > MaxLength)
            {
                return $"error: name is too long (at most {MaxLength} characters)";
            }

            if (!IsAllowed(rune))
            {
                return $"error: name may contain only letters, digits, '_', '-' and '.' (not {Describe(rune)})";
            }
        }

        return null;
    }

    // Quotes a printable character; names a space, tab or other invisible one by its code point, so that the
    // error line holds no control character (PROTOCOL.md, Sanitising).
    private static string Describe(Rune rune) =>
        Rune.IsWhiteSpace(rune) || Rune.IsControl(rune) || Rune.GetUnicodeCategory(rune) is UnicodeCategory.Format
            ? $"U+{rune.Value:X4}"
            : $"'{rune}'";

    private static bool IsAllowed(Rune rune) => rune.Value is '_' or '-' or '.' || Rune.GetUnicodeCategory(rune) switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter => true,
        UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.EnclosingMark => true,
        UnicodeCategory.DecimalDigitNumber => true,
        _ => false,
    };
}
