using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Samples.Tests.Support;

/// <summary>
/// A plain TCP chat client for tests: sends lines, reads lines. Every read waits on the test's token (the
/// test's <c>[CancelAfter]</c>), so a missing line fails the test instead of hanging it; nothing sleeps.
/// </summary>
internal sealed class LineClient : IAsyncDisposable
{
    private readonly TcpClient _client;
    private readonly StreamReader _reader;
    private readonly StreamWriter _writer;
    private readonly CancellationToken _cancellationToken;

    private LineClient(TcpClient client, CancellationToken cancellationToken)
    {
        _client = client;
        _cancellationToken = cancellationToken;
        var utf8 = new UTF8Encoding(false);
        _reader = new StreamReader(client.GetStream(), utf8);
        _writer = new StreamWriter(client.GetStream(), utf8) { NewLine = "\n", AutoFlush = true };
    }

    /// <summary>The client's own address as the server writes it (<c>127.0.0.1:5000</c>).</summary>
    public string LocalAddress => _client.Client.LocalEndPoint!.ToString()!;

    public static async Task<LineClient> ConnectAsync(IPEndPoint server, CancellationToken cancellationToken)
    {
        var client = new TcpClient(server.AddressFamily);
        await client.ConnectAsync(server, cancellationToken);
        return new LineClient(client, cancellationToken);
    }

    /// <summary>Connects, answers the prompt with <paramref name="name"/> and reads through the welcome lines.</summary>
    public static async Task<LineClient> EnterAsync(IPEndPoint server, string name, CancellationToken cancellationToken)
    {
        var client = await ConnectAsync(server, cancellationToken);
        await client.ExpectAsync("What is your name?");
        await client.SendAsync(name);
        await client.ExpectAsync($"You are {name}");
        await client.ReadLineAsync(); // Current clients: ...
        return client;
    }

    public Task SendAsync(string line) => _writer.WriteLineAsync(line.AsMemory(), _cancellationToken);

    /// <summary>The next line, or null when the server has closed the connection.</summary>
    public async Task<string?> ReadLineAsync() => await _reader.ReadLineAsync(_cancellationToken);

    /// <summary>The next <paramref name="count"/> lines.</summary>
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
            throw new InvalidOperationException($"expected '{expected}', got '{line ?? "(end of stream)"}'");
        }
    }

    /// <summary>Half-closes: the server sees a clean end of stream, and the client can still read.</summary>
    public void ShutdownSend() => _client.Client.Shutdown(SocketShutdown.Send);

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _client.Dispose();
        return ValueTask.CompletedTask;
    }
}
