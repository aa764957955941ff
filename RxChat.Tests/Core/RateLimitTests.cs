using NUnit.Framework;
using RxChat.Tests.Support;

namespace RxChat.Tests.Core;

/// <summary>PROTOCOL.md, Limits and bad input, send rate: a token bucket in virtual time.</summary>
public class RateLimitTests
{
    private static readonly ChatServerOptions Options = new() { RateLimit = 20, RateBurst = 40 };

    /// <summary>alice (1) and bob (2) have entered at second 1; alice then sends <paramref name="count"/> lines at <paramref name="second"/>.</summary>
    private static VirtualChat Burst(VirtualChat chat, double second, int count, string prefix = "m")
    {
        for (var i = 0; i < count; i++)
        {
            chat.Line(second, 1, $"{prefix}{i}");
        }

        return chat;
    }

    private static VirtualChat TwoClients(ChatServerOptions? options = null) =>
        new VirtualChat(options ?? Options).Arrive(0.5, 1).Line(1, 1, "alice").Arrive(0.5, 2).Line(1, 2, "bob");

    [Test]
    public void Burst_OverTheBucket_ExcessDroppedWithOneSlowDown()
    {
        // alice's name took one token at second 1; at second 2 the bucket is full again (40).
        var chat = Burst(TwoClients(), 2, 45).Run();

        var bobHeard = chat.Received(2).Where(l => l.StartsWith("alice: ", StringComparison.Ordinal)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(bobHeard, Is.EqualTo(Enumerable.Range(0, 40).Select(i => $"alice: m{i}")));
            Assert.That(chat.Received(1).Count(l => l.StartsWith("error: slow down", StringComparison.Ordinal)), Is.EqualTo(1));
            Assert.That(chat.Received(2), Has.None.StartsWith("error: "), "nobody else hears of it");
        });
    }

    [Test]
    public void Refill_AfterOneSecond_TwentyMoreLinesPassAndTheNextExcessWarnsAgain()
    {
        var chat = Burst(Burst(TwoClients(), 2, 41), 3, 21, "n").Run();

        var bobHeard = chat.Received(2).Where(l => l.StartsWith("alice: n", StringComparison.Ordinal)).ToList();
        Assert.Multiple(() =>
        {
            Assert.That(bobHeard, Is.EqualTo(Enumerable.Range(0, 20).Select(i => $"alice: n{i}")));
            Assert.That(chat.Received(1).Count(l => l.StartsWith("error: slow down", StringComparison.Ordinal)), Is.EqualTo(2), "one per burst: a line was accepted between");
        });
    }

    [Test]
    public void SlowDown_NotRepeatedUntilALineIsAccepted()
    {
        var chat = Burst(Burst(TwoClients(), 2, 45), 2.01, 5, "x").Run();

        Assert.That(chat.Received(1).Count(l => l.StartsWith("error: slow down", StringComparison.Ordinal)), Is.EqualTo(1));
    }

    [Test]
    public void SlowDown_DuringEntering_IsFollowedByThePrompt()
    {
        var chat = new VirtualChat(new ChatServerOptions { RateLimit = 1, RateBurst = 2 })
            .Arrive(0.5, 1).Line(1, 1, "a b").Line(1, 1, "c d").Line(1, 1, "alice").Line(3, 1, "alice")
            .Run();

        Assert.That(chat.Received(1), Is.EqualTo(new[]
        {
            "What is your name?",
            "error: name may contain only letters, digits, '_', '-' and '.' (not U+0020)", "What is your name?",
            "error: name may contain only letters, digits, '_', '-' and '.' (not U+0020)", "What is your name?",
            "error: slow down", "What is your name?",
            "You are alice", "Current clients: alice",
        }));
    }

    [Test]
    public void OverLongLines_TakeTokensButDrawOnlyTheLengthError()
    {
        var chat = TwoClients(new ChatServerOptions { RateLimit = 1, RateBurst = 2 });
        chat.TooLong(2, 1).TooLong(2, 1).TooLong(2, 1).Line(2, 1, "dropped").Line(2, 1, "also dropped");

        chat.Run();

        Assert.That(chat.Received(1).Skip(3).Where(l => l.StartsWith("error", StringComparison.Ordinal)), Is.EqualTo(new[]
        {
            "error: line too long (at most 4096 bytes)", "error: line too long (at most 4096 bytes)",
            "error: line too long (at most 4096 bytes)", "error: slow down",
        }));
        Assert.That(chat.Received(2), Has.None.Contains("dropped"));
    }

    [Test]
    public void RateZero_TurnsTheLimitOff()
    {
        var chat = Burst(TwoClients(new ChatServerOptions { RateLimit = 0 }), 2, 500).Run();

        Assert.That(chat.Received(2).Count(l => l.StartsWith("alice: m", StringComparison.Ordinal)), Is.EqualTo(500));
    }
}
