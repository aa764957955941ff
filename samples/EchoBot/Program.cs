using System.Globalization;
using System.Reactive.Subjects;
using System.Runtime.InteropServices;
using EchoBot;
using RxChat;
using RxChat.Core;
using RxChat.Hosting;

// A chat server with a bot in it, joined in process (no socket).
// Run: dotnet run --project samples/EchoBot [-- PORT]   (default 8000), then `nc 127.0.0.1 8000` and say
// !time, !count or !echo TEXT. Ctrl+C stops.
var port = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 8000;
var clock = ChatSchedulers.Time; // one clock for the server and the bot
await using var server = ChatServer.Start(new ChatServerOptions { Port = port }, clock);
Console.WriteLine($"listening on {server.EndPoint}; bot answers !time, !count, !echo TEXT");

// The bot answers what its connection hears, and what it answers is what the connection says.
var said = new Subject<string>();
using var bot = new Bot("bot", clock).Answer(server.Connect(said)).Subscribe(said);

var stop = new TaskCompletionSource();
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
await stop.Task;
await server.StopAsync();
