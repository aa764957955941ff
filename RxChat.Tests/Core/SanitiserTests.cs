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
            return output.All(c => c == '\t' || !(char.IsControl(c))) && output == new string(text.Where(c => !Sanitiser.IsRemoved(c)).ToArray());
        });
    }
}
