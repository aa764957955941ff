using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace RxChat.Tests.Support;

/// <summary>
/// A WebSocket client of the web door for tests (<see cref="ClientWebSocket"/> over a real socket): one line per text
/// message each way, read with a deadline as <see cref="LineClient"/> reads; the close the server sends is kept
/// (<see cref="CloseStatus"/>). Optionally with an <c>Origin</c>, a small receive buffer (a slow client), or over TLS
/// trusting exactly one authority. Nothing sleeps.
/// </summary>
internal sealed class WebSocketClient : IAsyncDisposable
{
    private readonly ClientWebSocket _socket;
    private readonly HttpMessageInvoker _invoker;
    private readonly CancellationToken _cancellationToken;

    private WebSocketClient(ClientWebSocket socket, HttpMessageInvoker invoker, CancellationToken cancellationToken)
    {
        _socket = socket;
        _invoker = invoker;
        _cancellationToken = cancellationToken;
    }

    /// <summary>How long one read may wait.</summary>
    public TimeSpan ReadTimeout { get; set; } = LineClient.Timeout;

    /// <summary>The status of the server's close frame, once the socket has read it; null before.</summary>
    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public WebSocketState State => _socket.State;

    /// <summary>The HTTP status of the upgrade's answer (101 when accepted, 403 for a refused origin...).</summary>
    public HttpStatusCode UpgradeStatus => _socket.HttpStatusCode;

    /// <summary>
    /// Opens <paramref name="uri"/> (<c>ws://</c> or <c>wss://</c>); fails with a <see cref="WebSocketException"/> when the
    /// server does not upgrade (<see cref="TryConnectAsync"/> says with what status).
    /// </summary>
    public static async Task<WebSocketClient> ConnectAsync(
        Uri uri, string? origin = null, int? receiveBufferSize = null, X509Certificate2? authority = null, CancellationToken cancellationToken = default)
    {
        var (client, status) = await TryConnectAsync(uri, origin, receiveBufferSize, authority, cancellationToken);
        return client ?? throw new WebSocketException($"the server answered the upgrade with {(int)status}");
    }

    /// <summary>As <see cref="ConnectAsync"/>, but a refused upgrade is its status instead of an exception.</summary>
    public static async Task<(WebSocketClient? Client, HttpStatusCode Status)> TryConnectAsync(
        Uri uri, string? origin = null, int? receiveBufferSize = null, X509Certificate2? authority = null, CancellationToken cancellationToken = default)
    {
        var handler = new SocketsHttpHandler
        {
            // The socket made here, so that a test can give it a small receive buffer (a client that reads slowly).
            ConnectCallback = async (context, token) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                if (receiveBufferSize is { } size)
                {
                    socket.ReceiveBufferSize = size;
                }

                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, token);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        if (authority is not null)
        {
            handler.SslOptions = Trusting(authority);
        }

        var invoker = new HttpMessageInvoker(handler);
        var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.KeepAliveInterval = Timeout.InfiniteTimeSpan; // the server's pings are answered; none of our own
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(LineClient.Timeout);
        try
        {
            await socket.ConnectAsync(uri, invoker, deadline.Token);
        }
        catch (WebSocketException) when (socket.HttpStatusCode is not 0 and not HttpStatusCode.SwitchingProtocols)
        {
            var status = socket.HttpStatusCode;
            socket.Dispose();
            invoker.Dispose();
            return (null, status);
        }
        catch
        {
            socket.Dispose();
            invoker.Dispose();
            throw;
        }

        return (new WebSocketClient(socket, invoker, cancellationToken), socket.HttpStatusCode);
    }

    /// <summary>TLS client options that trust exactly <paramref name="authority"/> for <c>localhost</c>.</summary>
    public static SslClientAuthenticationOptions Trusting(X509Certificate2 authority)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(authority);
        return new SslClientAuthenticationOptions { TargetHost = "localhost", CertificateChainPolicy = policy };
    }

    /// <summary>Connects, answers the prompt with <paramref name="name"/> and reads the two welcome lines.</summary>
    public static async Task<WebSocketClient> EnterAsync(Uri uri, string name, CancellationToken cancellationToken = default)
    {
        var client = await ConnectAsync(uri, cancellationToken: cancellationToken);
        await client.ExpectAsync("What is your name?");
        await client.SendAsync(name);
        await client.ExpectAsync($"You are {name}");
        var clients = await client.ReadLineAsync();
        if (clients is null || !clients.StartsWith("Current clients: ", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"expected the client list, got '{clients}'");
        }

        return client;
    }

    /// <summary>Sends one text message.</summary>
    public Task SendAsync(string text) => SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text);

    /// <summary>Sends one message of the given type, in one frame.</summary>
    public async Task SendAsync(byte[] bytes, WebSocketMessageType type) =>
        await _socket.SendAsync(bytes, type, endOfMessage: true, _cancellationToken);

    /// <summary>Sends one text message in several frames, cut at the given byte offsets.</summary>
    public async Task SendFramesAsync(byte[] bytes, params int[] cuts)
    {
        var start = 0;
        foreach (var cut in cuts.Append(bytes.Length))
        {
            await _socket.SendAsync(bytes.AsMemory(start, cut - start), WebSocketMessageType.Text, endOfMessage: cut == bytes.Length, _cancellationToken);
            start = cut;
        }
    }

    /// <summary>The next text message, or null once the server has closed; fails after <see cref="ReadTimeout"/>.</summary>
    public async Task<string?> ReadLineAsync()
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(_cancellationToken);
        deadline.CancelAfter(ReadTimeout);
        var buffer = new byte[8192];
        using var message = new MemoryStream();
        while (true)
        {
            ValueWebSocketReceiveResult result;
            try
            {
                result = await _socket.ReceiveAsync(buffer.AsMemory(), deadline.Token);
            }
            catch (WebSocketException) when (_socket.State is WebSocketState.Closed or WebSocketState.Aborted or WebSocketState.CloseReceived)
            {
                return null;
            }

            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            if (result.MessageType != WebSocketMessageType.Text)
            {
                throw new InvalidOperationException("the server sent a binary message");
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return Encoding.UTF8.GetString(message.ToArray());
            }
        }
    }

    /// <summary>The next <paramref name="count"/> messages (null for each after the close).</summary>
    public async Task<List<string?>> ReadLinesAsync(int count)
    {
        var lines = new List<string?>();
        for (var i = 0; i < count; i++)
        {
            lines.Add(await ReadLineAsync());
        }

        return lines;
    }

    public async Task ExpectAsync(string expected)
    {
        var line = await ReadLineAsync();
        if (line != expected)
        {
            throw new InvalidOperationException($"expected '{expected}', got '{line ?? "(closed)"}'");
        }
    }

    /// <summary>Reads messages until one equals <paramref name="expected"/>; returns those before it.</summary>
    public async Task<List<string>> ReadUntilAsync(string expected)
    {
        var seen = new List<string>();
        while (true)
        {
            var line = await ReadLineAsync() ?? throw new InvalidOperationException($"closed before '{expected}'; saw: {string.Join(" | ", seen)}");
            if (line == expected)
            {
                return seen;
            }

            seen.Add(line);
        }
    }

    /// <summary>Reads every message until the server closes.</summary>
    public async Task<List<string>> ReadToEndAsync()
    {
        var lines = new List<string>();
        while (await ReadLineAsync() is { } line)
        {
            lines.Add(line);
        }

        return lines;
    }

    /// <summary>Starts the close handshake from this side (the server sees a clean end).</summary>
    public async Task CloseAsync()
    {
        using var deadline = new CancellationTokenSource(LineClient.Timeout);
        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, deadline.Token);
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        _invoker.Dispose();
        return ValueTask.CompletedTask;
    }
}
