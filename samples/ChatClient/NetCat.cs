using System.Net.Sockets;
using System.Text;

namespace ChatClient;

/// <summary>
/// The book's <c>netcat3</c> in C#: copies the server's lines to the output and the input's lines to the server.
/// The name handshake needs nothing special: the prompt is just a line, and the name is the first line typed.
/// </summary>
internal static class NetCat
{
    /// <summary>
    /// Connects and copies both ways until the server closes the connection. When the input ends first it
    /// half-closes (as <c>nc -N</c>): the server sees the end, and the lines it still sends are copied.
    /// </summary>
    /// <exception cref="SocketException">The server cannot be reached.</exception>
    public static async Task RunAsync(string host, int port, TextReader input, TextWriter output, CancellationToken cancellationToken = default)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(host, port, cancellationToken);
        var stream = client.GetStream();
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        var toServer = new StreamWriter(stream, utf8) { NewLine = "\n", AutoFlush = true };

        // Reading a console blocks a thread, so the input side runs on its own (the book's goroutine) and is
        // not awaited: when the server closes, we are done whether or not the input has ended.
        _ = Task.Run(
            async () =>
            {
                await CopyLinesAsync(input, toServer, cancellationToken);
                client.Client.Shutdown(SocketShutdown.Send);
            },
            cancellationToken);
        await CopyLinesAsync(new StreamReader(stream, utf8), output, cancellationToken);
    }

    private static async Task CopyLinesAsync(TextReader from, TextWriter to, CancellationToken cancellationToken)
    {
        while (await from.ReadLineAsync(cancellationToken) is { } line)
        {
            await to.WriteLineAsync(line.AsMemory(), cancellationToken);
        }
    }
}
