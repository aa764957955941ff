using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Reactive.Threading.Tasks;
using NUnit.Framework;
using RxChat.Core;
using RxChat.Tests.Support;

namespace Samples.Tests;

/// <summary>
/// RxChat as a library, through its public API only: <c>ChatServer.Start</c>, <c>Events</c>, <c>Connect</c> and
/// <c>StopAsync</c>, on a real loopback server.
/// </summary>
public class EmbeddingApiTests
{
    [Test]
    [CancelAfter(20_000)]
    public async Task Events_TcpClientEntersSaysALineAndLeaves_ArriveInOrderWithTheReason(CancellationToken cancellationToken)
    {
        await using var server = TestServer.Start();
        var events = new List<ServerEvent>();
        using var recording = server.Events.Subscribe(e => { lock (events) { events.Add(e); } });
        var closed = server.Events.OfType<ConnectionClosed>().FirstAsync().ToTask(cancellationToken);

        string address;
        await using (var alice = await LineClient.EnterAsync(server.EndPoint, "alice", cancellationToken))
        {
            address = alice.LocalAddress;
            await alice.SendAsync("hello");
            await alice.ExpectAsync("alice: hello");
            alice.ShutdownSend();
            await closed;
        }

        ServerEvent[] seen;
        lock (events)
        {
            seen = [.. events];
        }

        Assert.Multiple(() =>
        {
            Assert.That(seen.Select(Describe), Is.EqualTo(new[]
            {
                $"opened {address}",
                "entered alice",
                "message alice Chat: hello",
                "closed alice EndOfStream",
            }));
            Assert.That(seen.Select(e => e.Id).Distinct().Count(), Is.EqualTo(1), "one connection");
        });
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task Connect_InProcessAndTcpClients_ChatBothWays(CancellationToken cancellationToken)
    {
        await using var server = TestServer.Start();

        // Ann joins in process: her first line is her name. Replay keeps every line she hears for the asserts.
        var annSays = new Subject<string>();
        var annHears = server.Connect(annSays.StartWith("ann")).Replay();
        using var ann = annHears.Connect();
        await annHears.FirstAsync(l => l == "Current clients: ann").ToTask(cancellationToken);

        await using var tom = await LineClient.EnterAsync(server.EndPoint, "tom", cancellationToken);
        await annHears.FirstAsync(l => l == "tom has arrived").ToTask(cancellationToken);
        await tom.SendAsync("hi ann");
        await annHears.FirstAsync(l => l == "tom: hi ann").ToTask(cancellationToken);
        annSays.OnNext("hi tom");
        var tomSaw = await tom.ReadLinesAsync(2);
        annSays.OnCompleted();
        var annLeft = await tom.ReadLineAsync();
        var annHeard = await annHears.ToList().ToTask(cancellationToken);

        Assert.Multiple(() =>
        {
            Assert.That(tomSaw, Is.EqualTo(new[] { "tom: hi ann", "ann: hi tom" }));
            Assert.That(annLeft, Is.EqualTo("ann has left"));
            Assert.That(annHeard, Is.EqualTo(new[]
            {
                "What is your name?", "You are ann", "Current clients: ann", "tom has arrived", "tom: hi ann", "ann: hi tom",
            }));
        });
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task StopAsync_WithClients_ClosesThemAndCompletesEvents(CancellationToken cancellationToken)
    {
        var server = TestServer.Start();
        var completed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var watching = server.Events.Subscribe(_ => { }, e => completed.TrySetException(e), () => completed.TrySetResult());
        var bot = server.Connect(Observable.Return("bot").Concat(Observable.Never<string>())).Replay();
        using var botConnection = bot.Connect();
        await bot.FirstAsync(l => l == "You are bot").ToTask(cancellationToken);
        var tcp = await LineClient.EnterAsync(server.EndPoint, "tcp", cancellationToken);

        // Stopping waits for the clients to close their side (up to the shutdown timeout), as a client does
        // once the server has closed its own: read to the end, then close.
        var stopped = server.StopAsync(cancellationToken);
        var tcpLast = new[] { await tcp.ReadLineAsync(), await tcp.ReadLineAsync() };
        await tcp.DisposeAsync();
        await stopped;
        var botLast = await bot.LastAsync().ToTask(cancellationToken);
        await completed.Task.WaitAsync(cancellationToken);

        Assert.Multiple(() =>
        {
            Assert.That(completed.Task.IsCompletedSuccessfully, Is.True, "Events completed");
            Assert.That(tcpLast, Is.EqualTo(new[] { "Server shutting down", null }));
            Assert.That(botLast, Is.EqualTo("Server shutting down"));
        });
        await server.DisposeAsync();
    }

    private static string Describe(ServerEvent e) => e switch
    {
        ConnectionOpened o => $"opened {o.RemoteAddress}",
        ClientEntered c => $"entered {c.Name}",
        MessageSent m => $"message {m.Name} {m.Kind}: {m.Text}",
        ConnectionClosed c => $"closed {c.Name} {c.Reason}",
        _ => e.ToString(),
    };
}
