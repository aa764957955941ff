using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NUnit.Framework;

namespace RxChat.Tests.Support;

/// <summary>The test proxy itself, over loopback sockets: it forwards, cuts in both modes, restores, switches and delays; as a tunnel, each connection names its backend.</summary>
[CancelAfter(30_000)]
public class TcpProxyTests
{
    [Test]
    public async Task Forwarding_LinesGoBothWays()
    {
        await using var backend = await Echo.StartAsync("a");
        await using var proxy = TcpProxy.Start(backend.EndPoint);
        await using var client = await LineClient.ConnectAsync(proxy.EndPoint);

        await client.SendAsync("hello");

        Assert.That(await client.ReadLineAsync(), Is.EqualTo("a: hello"));
    }

    [Test]
    public async Task CutReset_EveryConnectionReset_AndNewOnesToo_UntilRestored()
    {
        await using var backend = await Echo.StartAsync("a");
        await using var proxy = TcpProxy.Start(backend.EndPoint);
        await using var before = await LineClient.ConnectAsync(proxy.EndPoint);
        await before.SendAsync("one");
        await before.ExpectAsync("a: one");

        proxy.Cut(CutMode.Reset);
        var closed = await EndAsync(before);
        var refused = await RefusedAsync(proxy.EndPoint);
        proxy.Restore();
        await using var after = await LineClient.ConnectAsync(proxy.EndPoint);
        await after.SendAsync("two");

        Assert.Multiple(async () =>
        {
            Assert.That(closed, Is.True);
            Assert.That(refused, Is.True);
            Assert.That(await after.ReadLineAsync(), Is.EqualTo("a: two"));
        });
    }

    [Test]
    public async Task CutSilent_NothingPassesAndNothingCloses_ThenRestored_WhatWaitedGoesOn()
    {
        // Nothing arriving is shown by a read that gets nothing within a short deadline.
        var quiet = TimeSpan.FromMilliseconds(300);
        await using var backend = await Echo.StartAsync("a");
        await using var proxy = TcpProxy.Start(backend.EndPoint);
        await using var before = await LineClient.ConnectAsync(proxy.EndPoint);
        await before.SendAsync("one");
        await before.ExpectAsync("a: one");

        proxy.Cut(CutMode.Silent);
        await before.SendAsync("during");
        await using var newcomer = await LineClient.ConnectAsync(proxy.EndPoint);
        await newcomer.SendAsync("new");
        before.ReadTimeout = newcomer.ReadTimeout = quiet;
        var heardWhileCut = await Task.WhenAll(QuietAsync(before), QuietAsync(newcomer));
        var connectionsWhileCut = backend.Connections;
        proxy.Restore();
        before.ReadTimeout = newcomer.ReadTimeout = LineClient.Timeout;

        Assert.Multiple(async () =>
        {
            Assert.That(heardWhileCut, Is.All.True, "nothing passed, nothing closed");
            Assert.That(connectionsWhileCut, Is.EqualTo(1), "the newcomer did not reach the backend while cut");
            Assert.That(proxy.Connections, Is.EqualTo(2), "both held");
            Assert.That(await before.ReadLineAsync(), Is.EqualTo("a: during"), "held, then delivered");
            Assert.That(await newcomer.ReadLineAsync(), Is.EqualTo("a: new"));
        });
    }

    [Test]
    public async Task Switch_NewConnectionsGoToTheOtherBackend_OldOnesStay()
    {
        await using var a = await Echo.StartAsync("a");
        await using var b = await Echo.StartAsync("b");
        await using var proxy = TcpProxy.Start(a.EndPoint);
        await using var old = await LineClient.ConnectAsync(proxy.EndPoint);
        await old.SendAsync("one");
        await old.ExpectAsync("a: one");

        proxy.Switch(b.EndPoint);
        await using var fresh = await LineClient.ConnectAsync(proxy.EndPoint);
        await fresh.SendAsync("two");
        await old.SendAsync("three");

        Assert.Multiple(async () =>
        {
            Assert.That(await fresh.ReadLineAsync(), Is.EqualTo("b: two"));
            Assert.That(await old.ReadLineAsync(), Is.EqualTo("a: three"));
        });
    }

    [Test]
    public async Task Latency_EachWayDelaysWhatPasses_InOrder_WithoutAddingUpOverWhatIsInFlight()
    {
        // Five lines written one after another are in flight together: their answers come back one round trip (twice
        // the latency) later, not five (which a proxy waiting before each read would take).
        var latency = TimeSpan.FromMilliseconds(200);
        await using var backend = await Echo.StartAsync("a");
        await using var proxy = TcpProxy.Start(backend.EndPoint);
        proxy.Latency = latency;
        await using var client = await LineClient.ConnectAsync(proxy.EndPoint);

        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 5; i++)
        {
            await client.SendAsync($"line {i}");
        }

        var heard = await client.ReadLinesAsync(5);
        var took = clock.Elapsed;

        Assert.Multiple(() =>
        {
            Assert.That(heard, Is.EqualTo(Enumerable.Range(0, 5).Select(i => $"a: line {i}")));
            Assert.That(took, Is.GreaterThanOrEqualTo(2 * latency - TimeSpan.FromMilliseconds(5)), "a round trip takes twice the latency longer");
            Assert.That(took, Is.LessThan(5 * latency), "what is in flight waits together");
        });
    }

    [Test]
    public async Task Tunnel_EachConnectionReachesTheBackendItNames_AndOneCutHoldsThemAll()
    {
        var quiet = TimeSpan.FromMilliseconds(300);
        await using var a = await Echo.StartAsync("a");
        await using var b = await Echo.StartAsync("b");
        await using var proxy = TcpProxy.StartTunnel();
        await using var toA = await TunnelAsync(proxy, a.EndPoint);
        await using var toB = await TunnelAsync(proxy, b.EndPoint);
        await toA.SendAsync("one");
        await toB.SendAsync("two");
        var before = (await toA.ReadLineAsync(), await toB.ReadLineAsync());

        proxy.Cut(CutMode.Silent);
        await toA.SendAsync("during");
        toA.ReadTimeout = quiet;
        var heardWhileCut = await QuietAsync(toA);
        proxy.Restore();
        toA.ReadTimeout = LineClient.Timeout;

        Assert.Multiple(async () =>
        {
            Assert.That(before, Is.EqualTo(("a: one", "b: two")));
            Assert.That(heardWhileCut, Is.True, "nothing passed while cut");
            Assert.That(await toA.ReadLineAsync(), Is.EqualTo("a: during"), "held, then delivered");
            Assert.That(await RefusedTunnelAsync(proxy, new IPEndPoint(IPAddress.Loopback, 1)), Is.True, "a backend that refuses: reset");
        });
    }

    [Test]
    public async Task Dispose_EveryConnectionClosed_NothingLeftRunning()
    {
        await using var backend = await Echo.StartAsync("a");
        var proxy = TcpProxy.Start(backend.EndPoint);
        await using var client = await LineClient.ConnectAsync(proxy.EndPoint);
        await client.SendAsync("one");
        await client.ExpectAsync("a: one");
        proxy.Cut(CutMode.Silent);
        await using var held = await LineClient.ConnectAsync(proxy.EndPoint);

        await proxy.DisposeAsync();

        Assert.Multiple(async () =>
        {
            Assert.That(proxy.Connections, Is.Zero);
            Assert.That(await EndAsync(client), Is.True);
            Assert.That(await EndAsync(held), Is.True);
        });
    }

    // A connection through a tunnel to BACKEND: the CONNECT request, then the proxy's answer.
    private static async Task<LineClient> TunnelAsync(TcpProxy proxy, EndPoint backend)
    {
        var client = await LineClient.ConnectAsync(proxy.EndPoint);
        await client.SendRawAsync(System.Text.Encoding.ASCII.GetBytes($"CONNECT {backend} HTTP/1.1\r\n\r\n"));
        Assert.Multiple(async () =>
        {
            Assert.That(await client.ReadLineAsync(), Is.EqualTo("HTTP/1.1 200 Connection established"));
            Assert.That(await client.ReadLineAsync(), Is.Empty);
        });
        return client;
    }

    // Whether a tunnel to BACKEND is reset before its answer.
    private static async Task<bool> RefusedTunnelAsync(TcpProxy proxy, EndPoint backend)
    {
        await using var client = await LineClient.ConnectAsync(proxy.EndPoint);
        await client.SendRawAsync(System.Text.Encoding.ASCII.GetBytes($"CONNECT {backend} HTTP/1.1\r\n\r\n"));
        return await EndAsync(client);
    }

    // Whether a read gets nothing before it times out (no line, no end).
    private static async Task<bool> QuietAsync(LineClient client)
    {
        try
        {
            await client.ReadLineAsync();
            return false;
        }
        catch (OperationCanceledException)
        {
            return true;
        }
    }

    // Whether a new connection is reset, as it connects or at once after.
    private static async Task<bool> RefusedAsync(IPEndPoint endPoint)
    {
        try
        {
            await using var client = await LineClient.ConnectAsync(endPoint);
            return await EndAsync(client);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionRefused)
        {
            return true;
        }
    }

    // Whether the connection ends (closed or reset) before the read times out.
    private static async Task<bool> EndAsync(LineClient client)
    {
        try
        {
            return await client.ReadLineAsync() is null;
        }
        catch (IOException)
        {
            return true;
        }
    }

    // A line echo server on loopback: answers each line with "NAME: LINE".
    private sealed class Echo : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly string _name;
        private readonly List<Task> _served = [];
        private readonly List<TcpClient> _clients = [];
        private readonly Task _accepting;

        private Echo(TcpListener listener, string name)
        {
            _listener = listener;
            _name = name;
            _accepting = AcceptAsync();
        }

        public EndPoint EndPoint => _listener.LocalEndpoint;

        public int Connections
        {
            get
            {
                lock (_clients)
                {
                    return _clients.Count;
                }
            }
        }

        public static Task<Echo> StartAsync(string name)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return Task.FromResult(new Echo(listener, name));
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            await _accepting;
            lock (_clients)
            {
                foreach (var client in _clients)
                {
                    client.Dispose();
                }
            }

            await Task.WhenAll(_served);
        }

        private async Task AcceptAsync()
        {
            while (true)
            {
                TcpClient client;
                try
                {
                    client = await _listener.AcceptTcpClientAsync();
                }
                catch (Exception e) when (e is SocketException or ObjectDisposedException)
                {
                    return;
                }

                lock (_clients)
                {
                    _clients.Add(client);

                    _served.Add(ServeAsync(client));
                }
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            try
            {
                using var reader = new StreamReader(client.GetStream());
                var writer = client.GetStream();
                while (await reader.ReadLineAsync() is { } line)
                {
                    await writer.WriteAsync(System.Text.Encoding.UTF8.GetBytes($"{_name}: {line}\n"));
                }
            }
            catch (Exception e) when (e is IOException or ObjectDisposedException)
            {
                // Closed.
            }
        }
    }
}
