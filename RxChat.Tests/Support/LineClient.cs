using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace RxChat.Tests.Support;

/// <summary>
/// A TCP client for socket tests, shared by RxChat.Tests and Samples.Tests (linked source): writes raw bytes or
/// lines, reads lines with a deadline; plain, or over TLS trusting exactly one authority. Every read waits for a condition and fails after <see cref="ReadTimeout"/> or
/// when the test's token (its <c>[CancelAfter]</c>) is cancelled, whichever comes first; nothing sleeps.
/// </summary>
internal sealed class LineClient : IAsyncDisposable
{
    /// <summary>How long one read waits by default.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly TcpClient _client;
    private readonly Stream _stream;
    private readonly StreamReader _reader;
    private readonly CancellationToken _cancellationToken;

    private LineClient(TcpClient client, CancellationToken cancellationToken, SslStream? tls = null)
    {
        _client = client;
        _cancellationToken = cancellationToken;
        _stream = tls ?? (Stream)client.GetStream();
        _reader = new StreamReader(_stream, new UTF8Encoding(false, false), false, 1024);
    }

    /// <summary>The certificate the server presented, over TLS; null for a plain client.</summary>
    public X509Certificate2? RemoteCertificate => (_stream as SslStream)?.RemoteCertificate as X509Certificate2;

    public Socket Socket => _client.Client;

    /// <summary>The client's own address as the server writes it (<c>127.0.0.1:5000</c>).</summary>
    public string LocalAddress => _client.Client.LocalEndPoint!.ToString()!;

    /// <summary>How long one read may wait; <see cref="Timeout"/> unless a test needs longer.</summary>
    public TimeSpan ReadTimeout { get; set; } = Timeout;

    /// <summary>Connects; <paramref name="cancellationToken"/> (the test's) also cuts every later read short.</summary>
    public static async Task<LineClient> ConnectAsync(IPEndPoint endPoint, CancellationToken cancellationToken = default)
    {
        var client = new TcpClient(endPoint.AddressFamily);
        await client.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
        return new LineClient(client, cancellationToken);
    }

    /// <summary>
    /// Connects over TLS for <c>localhost</c>, trusting exactly <paramref name="authority"/> (no system roots, no
    /// revocation check), and completes the handshake; fails with an <see cref="System.Security.Authentication.AuthenticationException"/>
    /// if the server's certificate does not chain to it.
    /// </summary>
    public static async Task<LineClient> ConnectTlsAsync(IPEndPoint endPoint, X509Certificate2 authority, CancellationToken cancellationToken = default)
    {
        var client = new TcpClient(endPoint.AddressFamily);
        try
        {
            await client.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.Add(authority);
            var tls = new SslStream(client.GetStream());
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(Timeout);
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost", CertificateChainPolicy = policy }, deadline.Token).ConfigureAwait(false);
            return new LineClient(client, cancellationToken, tls);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    /// <summary>Connects, answers the prompt with <paramref name="name"/> and reads the two welcome lines.</summary>
    public static async Task<LineClient> EnterAsync(IPEndPoint endPoint, string name, CancellationToken cancellationToken = default) =>
        await EnterAsync(await ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false), name).ConfigureAwait(false);

    /// <summary>Connects over TLS (as <see cref="ConnectTlsAsync"/>), answers the prompt and reads the two welcome lines.</summary>
    public static async Task<LineClient> EnterTlsAsync(IPEndPoint endPoint, X509Certificate2 authority, string name, CancellationToken cancellationToken = default) =>
        await EnterAsync(await ConnectTlsAsync(endPoint, authority, cancellationToken).ConfigureAwait(false), name).ConfigureAwait(false);

    private static async Task<LineClient> EnterAsync(LineClient client, string name)
    {
        await client.ExpectAsync("What is your name?").ConfigureAwait(false);
        await client.SendAsync(name).ConfigureAwait(false);
        await client.ExpectAsync($"You are {name}").ConfigureAwait(false);
        var clients = await client.ReadLineAsync().ConfigureAwait(false);
        if (clients is null || !clients.StartsWith("Current clients: ", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"expected the client list, got '{clients}'");
        }

        return client;
    }

    public Task SendAsync(string line) => SendRawAsync(Encoding.UTF8.GetBytes(line + "\n"));

    public async Task SendRawAsync(byte[] bytes) => await _stream.WriteAsync(bytes, _cancellationToken).ConfigureAwait(false);

    /// <summary>The next line, or null at end of stream; fails after <see cref="ReadTimeout"/> or with the test's token.</summary>
    public async Task<string?> ReadLineAsync()
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(_cancellationToken);
        cts.CancelAfter(ReadTimeout);
        return await _reader.ReadLineAsync(cts.Token).ConfigureAwait(false);
    }

    /// <summary>The next <paramref name="count"/> lines (null for each past the end of stream).</summary>
    public async Task<List<string?>> ReadLinesAsync(int count)
    {
        var lines = new List<string?>();
        for (var i = 0; i < count; i++)
        {
            lines.Add(await ReadLineAsync().ConfigureAwait(false));
        }

        return lines;
    }

    public async Task ExpectAsync(string expected)
    {
        var line = await ReadLineAsync().ConfigureAwait(false);
        if (line != expected)
        {
            throw new InvalidOperationException($"expected '{expected}', got '{line ?? "(end of stream)"}'");
        }
    }

    /// <summary>Reads lines until one equals <paramref name="expected"/>; returns the lines before it.</summary>
    public async Task<List<string>> ReadUntilAsync(string expected)
    {
        var seen = new List<string>();
        while (true)
        {
            var line = await ReadLineAsync().ConfigureAwait(false) ?? throw new InvalidOperationException($"end of stream before '{expected}'; saw: {string.Join(" | ", seen)}");
            if (line == expected)
            {
                return seen;
            }

            seen.Add(line);
        }
    }

    /// <summary>Reads and discards lines until the connection ends or goes quiet; returns how many.</summary>
    public async Task<long> DrainAsync()
    {
        long count = 0;
        try
        {
            while (await ReadLineAsync().ConfigureAwait(false) is not null)
            {
                count++;
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Quiet for the timeout, or closed under us: done.
        }

        return count;
    }

    /// <summary>Reads every line until the server closes the connection.</summary>
    public async Task<List<string>> ReadToEndAsync()
    {
        var lines = new List<string>();
        while (await ReadLineAsync().ConfigureAwait(false) is { } line)
        {
            lines.Add(line);
        }

        return lines;
    }

    /// <summary>Half-closes: the server sees a clean end of stream, and the client can still read.</summary>
    public void ShutdownSend() => _client.Client.Shutdown(SocketShutdown.Send);

    /// <summary>Closes with a reset (RST) instead of a clean close.</summary>
    public void Reset()
    {
        _client.Client.LingerState = new LingerOption(true, 0);
        _client.Client.Close();
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
