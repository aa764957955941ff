using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Sockets;
using System.Reactive.Linq;
using System.Security.Authentication;
using System.Text;
using NUnit.Framework;
using RxChat.Core;
using RxChat.Hosting;
using RxChat.Tests.Support;

namespace RxChat.Tests.Transport;

/// <summary>
/// The line door over TLS (PROTOCOL.md, Doors, TLS) on loopback sockets: TLS clients chat with plain ones, and a
/// handshake that fails or never ends costs nobody else anything; the certificate is reloaded when its files change.
/// </summary>
[CancelAfter(60_000)]
public class TlsSocketTests
{
    private TestCertificates _certificates = null!;

    [SetUp]
    public void CreateCertificates() => _certificates = TestCertificates.Create();

    [TearDown]
    public void RemoveCertificates() => _certificates.Dispose();

    [Test]
    public async Task Tls_ClientOverTls_ChatsWithPlainClient(CancellationToken cancellationToken)
    {
        await using var server = StartTls();
        await using var alice = await server.EnterAsync("alice");
        await using var bob = await LineClient.EnterTlsAsync(server.TlsEndPoint!, _certificates.Authority, "bob", cancellationToken);
        await alice.ExpectAsync("bob has arrived");

        await bob.SendAsync("hi alice, over TLS");
        var aliceHeard = await alice.ReadLineAsync();
        await alice.SendAsync("/msg bob hi bob, in the clear");
        var bobHeard = await bob.ReadLinesAsync(2);
        await bob.SendAsync("/who");

        Assert.Multiple(async () =>
        {
            Assert.That(server.TlsEndPoint!.Port, Is.Not.EqualTo(server.EndPoint.Port));
            Assert.That(bob.RemoteCertificate!.Thumbprint, Is.EqualTo(_certificates.ServerThumbprint));
            Assert.That(aliceHeard, Is.EqualTo("bob: hi alice, over TLS"));
            Assert.That(bobHeard, Is.EqualTo(new[] { "bob: hi alice, over TLS", "alice (private): hi bob, in the clear" }));
            Assert.That(await bob.ReadLineAsync(), Is.EqualTo("Current clients: alice, bob"));
        });
    }

    [Test]
    public async Task Tls_HandshakeNeverFinishes_ClosedByTheTimeoutWhileOthersChat(CancellationToken cancellationToken)
    {
        var timeout = TimeSpan.FromMilliseconds(500);
        await using var server = StartTls(new ChatServerOptions { TlsHandshakeTimeout = timeout });
        var opened = 0;
        using var counting = server.Events.OfType<ConnectionOpened>().Subscribe(_ => Interlocked.Increment(ref opened));
        await using var alice = await server.EnterAsync("alice");
        await using var bob = await LineClient.EnterTlsAsync(server.TlsEndPoint!, _certificates.Authority, "bob", cancellationToken);
        await alice.ExpectAsync("bob has arrived");

        // A client that connects to the TLS port and never says a word: no ClientHello, no handshake.
        using var stalled = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        var clock = Stopwatch.StartNew();
        await stalled.ConnectAsync(server.TlsEndPoint!, cancellationToken);
        var closed = ReadToEndAsync(stalled, cancellationToken);

        // The chat goes on meanwhile, both ways.
        await alice.SendAsync("during");
        await bob.SendAsync("me too");
        var heardDuring = (await alice.ReadLinesAsync(2), await bob.ReadLinesAsync(2));
        var received = await closed.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        var elapsed = clock.Elapsed;
        await alice.SendAsync("after");

        Assert.Multiple(async () =>
        {
            Assert.That(received, Is.Empty, "no prompt, nothing at all");
            Assert.That(elapsed, Is.GreaterThanOrEqualTo(timeout - TimeSpan.FromMilliseconds(50)), "not closed before the timeout");
            Assert.That(elapsed, Is.LessThan(timeout + TimeSpan.FromSeconds(5)));
            Assert.That(heardDuring.Item1, Is.EqualTo(new[] { "alice: during", "bob: me too" }));
            Assert.That(heardDuring.Item2, Is.EqualTo(new[] { "alice: during", "bob: me too" }));
            Assert.That(await alice.ReadLineAsync(), Is.EqualTo("alice: after"), "no arrival, no departure");
            Assert.That(await bob.ReadLineAsync(), Is.EqualTo("alice: after"), "no arrival, no departure");
            Assert.That(Volatile.Read(ref opened), Is.EqualTo(2), "the core never saw the stalled connection");
        });
    }

    [Test]
    public async Task Tls_PlainTextToTheTlsPort_GetsNoChatOutputAndNobodyNotices(CancellationToken cancellationToken)
    {
        await using var server = StartTls();
        using var failures = new HandshakeFailures(server);
        await using var alice = await server.EnterAsync("alice");

        using var plain = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await plain.ConnectAsync(server.TlsEndPoint!, cancellationToken);
        await plain.SendAsync(Encoding.ASCII.GetBytes("mallory\nhello everyone\n/who\n"), cancellationToken);
        var received = Encoding.ASCII.GetString([.. await ReadToEndAsync(plain, cancellationToken).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken)]);
        await alice.SendAsync("/who");

        Assert.Multiple(async () =>
        {
            Assert.That(received, Does.Not.Contain("What is your name?").And.Not.Contain("mallory").And.Not.Contain("Current clients"));
            Assert.That(await alice.ReadLineAsync(), Is.EqualTo("Current clients: alice"), "no arrival, nothing before the answer");
            Assert.That(failures.Count("error"), Is.EqualTo(1));
        });
    }

    [Test]
    public async Task Tls_ClientThatDoesNotTrustTheCertificate_FailsAndNobodyNotices(CancellationToken cancellationToken)
    {
        using var stranger = TestCertificates.Create("another authority");
        await using var server = StartTls();
        await using var alice = await server.EnterAsync("alice");

        // Over TLS 1.3 the client judges the certificate after its last handshake message: the server may count the
        // handshake done and the connection opened, then closed at once, before it ever has a name.
        Assert.That(
            async () => await LineClient.ConnectTlsAsync(server.TlsEndPoint!, stranger.Authority, cancellationToken),
            Throws.InstanceOf<AuthenticationException>());
        await using var bob = await LineClient.EnterTlsAsync(server.TlsEndPoint!, _certificates.Authority, "bob", cancellationToken);

        Assert.That(await alice.ReadLineAsync(), Is.EqualTo("bob has arrived"), "the first thing alice hears");
    }

    [Test]
    public async Task Tls_CertificateFilesReplaced_NewConnectionsSeeTheNewCertificateOpenOnesKeepTheirs(CancellationToken cancellationToken)
    {
        using var renewed = TestCertificates.Create("renewing authority");
        await using var server = StartTls();
        var oldThumbprint = _certificates.ServerThumbprint;
        await using var before = await LineClient.EnterTlsAsync(server.TlsEndPoint!, _certificates.Authority, "before", cancellationToken);

        File.WriteAllText(_certificates.CertFile, File.ReadAllText(renewed.CertFile));
        File.WriteAllText(_certificates.KeyFile, File.ReadAllText(renewed.KeyFile));
        await using var after = await LineClient.EnterTlsAsync(server.TlsEndPoint!, renewed.Authority, "after", cancellationToken);
        await before.ExpectAsync("after has arrived");
        await before.SendAsync("still here");

        Assert.Multiple(async () =>
        {
            Assert.That(after.RemoteCertificate!.Thumbprint, Is.EqualTo(renewed.ServerThumbprint).And.Not.EqualTo(oldThumbprint));
            Assert.That(before.RemoteCertificate!.Thumbprint, Is.EqualTo(oldThumbprint));
            Assert.That(await before.ReadLineAsync(), Is.EqualTo("before: still here"));
            Assert.That(await after.ReadLineAsync(), Is.EqualTo("before: still here"));
        });
    }

    [Test]
    public async Task Tls_CertificateFilesBroken_NewConnectionsKeepTheCertificateUntilTheFilesAreWhole(CancellationToken cancellationToken)
    {
        using var renewed = TestCertificates.Create("renewing authority");
        await using var server = StartTls();
        var oldThumbprint = _certificates.ServerThumbprint;

        // The new certificate is written, its key not yet: the pair does not load, and the old one stays.
        File.WriteAllText(_certificates.CertFile, File.ReadAllText(renewed.CertFile));
        await using var meanwhile = await LineClient.ConnectTlsAsync(server.TlsEndPoint!, _certificates.Authority, cancellationToken);
        File.WriteAllText(_certificates.KeyFile, File.ReadAllText(renewed.KeyFile));
        await using var after = await LineClient.ConnectTlsAsync(server.TlsEndPoint!, renewed.Authority, cancellationToken);

        Assert.Multiple(async () =>
        {
            Assert.That(meanwhile.RemoteCertificate!.Thumbprint, Is.EqualTo(oldThumbprint));
            Assert.That(after.RemoteCertificate!.Thumbprint, Is.EqualTo(renewed.ServerThumbprint));
            Assert.That(await meanwhile.ReadLineAsync(), Is.EqualTo("What is your name?"));
            Assert.That(await after.ReadLineAsync(), Is.EqualTo("What is your name?"));
        });
    }

    [Test]
    public async Task Tls_MoreHandshakesAtOnceThanMaxClients_TheExtraOneIsClosedAtOnce(CancellationToken cancellationToken)
    {
        await using var server = StartTls(new ChatServerOptions { MaxClients = 2, TlsHandshakeTimeout = TimeSpan.FromMinutes(1) });
        using var failures = new HandshakeFailures(server);
        var stalled = new List<Socket>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                stalled.Add(socket);
                await socket.ConnectAsync(server.TlsEndPoint!, cancellationToken);
            }

            // The two handshakes are under way once the server has seen them (the listener accepts in order).
            await using (var probe = await LineClient.ConnectAsync(server.EndPoint, cancellationToken))
            {
                await probe.ExpectAsync("What is your name?");
            }

            using var extra = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await extra.ConnectAsync(server.TlsEndPoint!, cancellationToken);
            var received = await ReadToEndAsync(extra, cancellationToken).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
            await using var alice = await server.EnterAsync("alice");

            Assert.Multiple(() =>
            {
                Assert.That(received, Is.Empty);
                Assert.That(failures.Count("busy"), Is.EqualTo(1));
                Assert.That(stalled.Select(s => s.Poll(0, SelectMode.SelectRead)), Is.All.False, "the first two still wait for their handshakes");
            });
        }
        finally
        {
            stalled.ForEach(s => s.Dispose());
        }
    }

    [Test]
    public async Task Tls_Shutdown_TlsClientGetsTheLastLineThenTheEnd(CancellationToken cancellationToken)
    {
        await using var server = StartTls();
        await using var bob = await LineClient.EnterTlsAsync(server.TlsEndPoint!, _certificates.Authority, "bob", cancellationToken);
        await bob.SendAsync("last words");
        await bob.ExpectAsync("bob: last words");

        var stopping = server.StopAsync(cancellationToken);

        Assert.That(await bob.ReadToEndAsync(), Is.EqualTo(new[] { "Server shutting down" }));
        await stopping;
    }

    [Test]
    public async Task Tls_ShutdownDuringAHandshake_DoesNotWaitForIt(CancellationToken cancellationToken)
    {
        await using var server = StartTls(new ChatServerOptions { TlsHandshakeTimeout = TimeSpan.FromMinutes(1), ShutdownTimeout = TimeSpan.FromSeconds(20) });
        using var stalled = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await stalled.ConnectAsync(server.TlsEndPoint!, cancellationToken);
        await using (var probe = await LineClient.ConnectAsync(server.EndPoint, cancellationToken))
        {
            await probe.ExpectAsync("What is your name?");
        }

        var clock = Stopwatch.StartNew();
        await server.StopAsync(cancellationToken);

        Assert.That(clock.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), "neither the handshake timeout nor the shutdown timeout");
    }

    // A server with the line door over TLS too, on another ephemeral port, with the test's certificate.
    private ChatServer StartTls(ChatServerOptions? options = null) =>
        TestServer.Start((options ?? new ChatServerOptions()) with { TlsPort = 0, TlsCertificate = _certificates.CertFile, TlsKey = _certificates.KeyFile });

    // Everything a raw socket receives until the server closes it (a reset counts as the end).
    private static async Task<List<byte>> ReadToEndAsync(Socket socket, CancellationToken cancellationToken)
    {
        var received = new List<byte>();
        var buffer = new byte[4096];
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken) is var count and > 0)
            {
                received.AddRange(buffer.AsSpan(0, count));
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
        }

        return received;
    }

    /// <summary>The server's <c>rxchat.tls.handshakes.failed</c> counter, by reason.</summary>
    private sealed class HandshakeFailures : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<string, long> _counts = new();

        public HandshakeFailures(ChatServer server)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter == server.Metrics.Meter && instrument.Name == "rxchat.tls.handshakes.failed")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "reason")
                    {
                        _counts.AddOrUpdate((string)tag.Value!, value, (_, old) => old + value);
                    }
                }
            });
            _listener.Start();
        }

        public long Count(string reason) => _counts.GetValueOrDefault(reason);

        public void Dispose() => _listener.Dispose();
    }
}
