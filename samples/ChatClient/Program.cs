using System.Globalization;
using System.Net.Sockets;
using ChatClient;

// A terminal chat client, the book's netcat3: lines from the server to stdout, lines from stdin to the server.
// Run: dotnet run --project samples/ChatClient [-- HOST [PORT]]   (default 127.0.0.1 8000).
// It exits when the server closes the connection, or when stdin ends (Ctrl+D) and the server has closed.
var host = args.Length > 0 ? args[0] : "127.0.0.1";
var port = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 8000;
try
{
    await NetCat.RunAsync(host, port, Console.In, Console.Out);
    return 0;
}
catch (SocketException e)
{
    await Console.Error.WriteLineAsync($"chatclient: {host}:{port}: {e.Message}");
    return 1;
}
