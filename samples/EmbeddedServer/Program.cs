using System.Globalization;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using System.Runtime.InteropServices;
using RxChat;
using RxChat.Core;
using RxChat.Hosting;

// RxChat inside an application of its own: the chat serves next to the application's work (here a status line
// every 10 seconds), the server's events go to the console, and Ctrl+C (or SIGTERM) stops it gracefully.
// Run: dotnet run --project samples/EmbeddedServer [-- PORT]   (default 8000; 0 picks a free port), then
// chat with `nc 127.0.0.1 8000`.
var port = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 8000;
await using var server = ChatServer.Start(new ChatServerOptions { Port = port });
Console.WriteLine($"listening on {server.EndPoint}");

// Events is hot: this sees what happens from now on, on the server's threads (so it must not block). It completes
// once the server has stopped and every connection has ended, a little after StopAsync returns.
var logged = server.Events
    .Do(e => Console.WriteLine($"{DateTimeOffset.Now:HH:mm:ss} {e}"))
    .LastOrDefaultAsync()
    .ToTask();

// The application's own work: a status line every 10 seconds, with the number of clients folded from the events.
var clients = server.Events
    .Scan(0, (n, e) => e switch { ClientEntered => n + 1, ConnectionClosed { Name: not null } => n - 1, _ => n })
    .StartWith(0);
using var status = Observable.Interval(TimeSpan.FromSeconds(10), ChatSchedulers.Time)
    .WithLatestFrom(clients, (_, n) => n)
    .Subscribe(n => Console.WriteLine($"{DateTimeOffset.Now:HH:mm:ss} status: {n} clients"));

var stop = new TaskCompletionSource();
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
await stop.Task;
Console.WriteLine("stopping");
await server.StopAsync(); // every connection gets "Server shutting down"; queued lines are flushed first
await logged;
Console.WriteLine("stopped");
