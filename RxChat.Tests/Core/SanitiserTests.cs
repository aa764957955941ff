using CsCheck;
using NUnit.Framework;
using RxChat.Core;

namespace RxChat.Tests.Core;

/// <summary>PROTOCOL.md, Sanitising.</summary>
public class SanitiserTests
{
    [TestCase("\u001b[2J", "[2J", TestName = "Sanitise_ClearScreen_LosesItsEscape")]
    [TestCase("bell\u0007", "bell", TestName = "Sanitise_Bell_IsRemoved")]
    [TestCase("a\tb", "a\tb", TestName = "Sanitise_Tab_IsKept")]
    [TestCase("a\u007fb\u0080c\u009fd\u00a0e", "abcd\u00a0e", TestName = "Sanitise_DelAndC1_AreRemovedButNotNoBreakSpace")]
    [TestCase("\u0000\u0001\u001f", "", TestName = "Sanitise_OnlyControls_IsEmpty")]
    [TestCase("plain text é", "plain text é", TestName = "Sanitise_NoControls_IsUnchanged")]
    [TestCase("rtl \u202Egpj.exe\u202C txt", "rtl gpj.exe txt", TestName = "Sanitise_BidiOverride_IsRemoved")]
    [TestCase("\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069x", "x", TestName = "Sanitise_BidiEmbeddingsOverridesAndIsolates_AreRemoved")]
    [TestCase("one\u2028bob: two\u2029three", "onebob: twothree", TestName = "Sanitise_LineAndParagraphSeparators_AreRemoved")]
    [TestCase("\u05E9\u05DC\u05D5\u05DD\u200F!\u200E", "\u05E9\u05DC\u05D5\u05DD\u200F!\u200E", TestName = "Sanitise_RightToLeftTextAndItsMarks_AreKept")]
    public void Sanitise_Examples(string input, string expected)
    {
        Assert.That(Sanitiser.Sanitise(input), Is.EqualTo(expected));
    }

    [Test]
    public void Sanitise_NothingToRemove_ReturnsTheSameInstance()
    {
        var text = "hello";

        Assert.That(Sanitiser.Sanitise(text), Is.SameAs(text));
    }

    [Test]
    public void Property_ForAnyText_OutputHoldsNoRemovedCharacterAndKeepsTheRestInOrder()
    {
        Gen.Char.Array[0, 64].Select(c => new string(c)).Sample(text =>
        {
            var output = Sanitiser.Sanitise(text);
            return output.All(c => c == '\t' || !(char.IsControl(c) || c is '\u2028' or '\u2029' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069'))) && output == new string(text.Where(c => !Sanitiser.IsRemoved(c)).ToArray());
        });
    }
}
