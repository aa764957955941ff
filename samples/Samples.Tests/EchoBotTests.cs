using System.Reactive;
using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Reactive.Threading.Tasks;
using EchoBot;
using Microsoft.Reactive.Testing;
using NUnit.Framework;
using RxChat.Core;
using RxChat.Tests.Support;
using static Microsoft.Reactive.Testing.ReactiveTest;

namespace Samples.Tests;

/// <summary>
/// The EchoBot sample: its mind (<see cref="Bot"/>) in virtual time, fed scripted lines as the server would send
/// them; then the bot joined to a real server in process, answering a TCP client.
/// </summary>
public class EchoBotTests
{
    // Virtual time starts at noon, so the bot's clock reads like a clock.
    private static readonly long Noon = new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero).UtcTicks;

    private static long At(double seconds) => Noon + TimeSpan.FromSeconds(seconds).Ticks;

    /// <summary>Runs the bot over <paramref name="heard"/> (the server's lines, from <see cref="Noon"/>) to the end.</summary>
    private static (ITestableObserver<string> Said, ITestableObservable<string> Heard) Run(params (double Seconds, string Line)[] heard)
    {
        var scheduler = new TestScheduler();
        var script = heard.Select(h => OnNext(At(h.Seconds), h.Line)).Append(OnCompleted<string>(At(100))).ToArray();
        var source = scheduler.CreateHotObservable(script);
        var said = scheduler.CreateObserver<string>();
        scheduler.ScheduleAbsolute(Noon, () => new Bot("bot", scheduler).Answer(source).Subscribe(said));
        scheduler.Start();
        return (said, source);
    }

    /// <summary>The lines said, without the completion.</summary>
    private static IEnumerable<string> Lines(ITestableObserver<string> said) =>
        said.Messages.Where(m => m.Value.Kind == NotificationKind.OnNext).Select(m => m.Value.Value);

    private static IEnumerable<(double Seconds, string Line)> Entered(params string[] others) =>
    [
        (0, "What is your name?"),
        (0.1, "You are bot"),
        (0.1, $"Current clients: {string.Join(", ", others.Append("bot"))}"),
    ];

    [Test]
    public void Bot_Subscribed_SaysItsNameAtOnceAndCompletesWithWhatItHears()
    {
        var (said, heard) = Run([.. Entered()]);

        Assert.Multiple(() =>
        {
            Assert.That(said.Messages, Is.EqualTo(new[] { OnNext(Noon, "bot"), OnCompleted<string>(At(100)) }));
            Assert.That(heard.Subscriptions, Is.EqualTo(new[] { Subscribe(Noon, At(100)) }));
        });
    }

    [Test]
    public void Bot_Time_AnswersWithItsClock()
    {
        var (said, _) = Run([.. Entered("alice"), (5, "alice: !time")]);

        Assert.That(said.Messages[1], Is.EqualTo(OnNext(At(5), "time: 2026-11-30 12:00:05Z")));
    }

    [Test]
    public void Bot_Count_CountsChatLinesFromOthersOnly()
    {
        var (said, _) = Run(
        [
            .. Entered("alice", "bob"),
            (1, "alice: hi"), (2, "bob: hello"), (3, "bot: a line of its own"),
            (4, "* alice waves"), (5, "alice (private): psst"), (6, "bob has left"), (7, "error: slow down"),
            (8, "alice: !count"),
        ]);

        Assert.That(Lines(said), Is.EqualTo(new[] { "bot", "chat lines seen: 3" }));
    }

    [TestCase("!echo hi there", "hi there")]
    [TestCase("!echo /quit", "//quit")]
    [TestCase("!echo !count", "!count")]
    public void Bot_Echo_SaysTheTextAsAChatLine(string command, string answer)
    {
        var (said, _) = Run([.. Entered("alice"), (1, $"alice: {command}")]);

        Assert.That(said.Messages[1], Is.EqualTo(OnNext(At(1), answer)));
    }

    [Test]
    public void Bot_OwnCommands_AreNotAnswered()
    {
        var (said, _) = Run([.. Entered(), (1, "bot: !count"), (2, "BOT: !echo loop")]);

        Assert.That(Lines(said), Is.EqualTo(new[] { "bot" }));
    }

    [Test]
    public void Bot_NameRefused_TriesTheNextName()
    {
        var (said, _) = Run(
            (0, "What is your name?"), (0.1, "error: name taken"), (0.1, "What is your name?"),
            (0.2, "error: name taken"), (0.2, "What is your name?"), (0.3, "You are bot3"), (0.3, "Current clients: bot, bot2, bot3"),
            (1, "alice: !count"));

        Assert.That(Lines(said), Is.EqualTo(new[] { "bot", "bot2", "bot3", "chat lines seen: 1" }));
    }

    [Test]
    public void Bot_BeforeEntering_AnswersNoCommand()
    {
        var (said, _) = Run((0, "What is your name?"), (1, "alice: !count"));

        Assert.That(Lines(said), Is.EqualTo(new[] { "bot" }));
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task Bot_JoinedInProcess_AnswersATcpClient(CancellationToken cancellationToken)
    {
        await using var server = TestServer.Start();
        var botEntered = server.Events.OfType<ClientEntered>().FirstAsync(e => e.Name == "bot").ToTask(cancellationToken);

        // As the sample's Program does it.
        var said = new Subject<string>();
        using var bot = new Bot("bot", Scheduler.Default).Answer(server.Connect(said)).Subscribe(said);
        await botEntered;

        await using var alice = await LineClient.EnterAsync(server.EndPoint, "alice", cancellationToken);
        await alice.SendAsync("!count");
        var count = await alice.ReadLinesAsync(2);
        await alice.SendAsync("!echo hi");
        var echo = await alice.ReadLinesAsync(2);

        Assert.Multiple(() =>
        {
            Assert.That(count, Is.EqualTo(new[] { "alice: !count", "bot: chat lines seen: 1" }));
            Assert.That(echo, Is.EqualTo(new[] { "alice: !echo hi", "bot: hi" }));
        });
    }
}
