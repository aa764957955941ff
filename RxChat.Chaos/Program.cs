// The fault run (docs/rooms.md, The fault run): three nodes of one room on real, persistent Redis under Sentinel (a
// master, two replicas, three sentinels), clients chatting on every node, and a seeded random schedule of faults,
// failovers among them; at the end, every session's transcript is judged.
//
//   dotnet run -c Release --project RxChat.Chaos -- --seed 42 --minutes 3
//
// Options: --seed N (default: a random one, printed), --minutes M (default 3), --nodes N (3), --clients N (per node,
// 2), --node-timeout SECONDS (2), --out DIR (where transcripts and logs go; default a new directory in the temp
// folder), --plan (print the schedule and exit), --check DIR (judge the transcripts a run saved there, again),
// --single-redis (one redis-server, no Sentinel and no failovers: the run as it was before failovers, same schedules).
// Exit status: 0 the room held, 1 it did not (the first violation is printed), 2 the run itself failed, 130 stopped.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using RxChat.Chaos;
using RxChat.Tests.Support;

var options = Options.Parse(args);
if (options is null)
{
    return 2;
}

var plan = Fault.Plan(options.Seed, options.Length, options.Nodes, options.NodeTimeout, failovers: !options.SingleRedis);
var setup = options.SingleRedis ? "one redis-server" : "Redis under Sentinel (a master, two replicas, three sentinels)";
var fingerprint = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', plan)))).ToLowerInvariant()[..12];
if (options.PlanOnly)
{
    Console.WriteLine($"seed {options.Seed}: {plan.Count} faults over {Minutes(options.Length)} minutes on {setup}, schedule {fingerprint}");
    foreach (var fault in plan)
    {
        Console.WriteLine(fault);
    }

    return 0;
}

var patience = options.NodeTimeout + TimeSpan.FromSeconds(5);
if (options.Check is { } saved)
{
    var sessions = File.ReadLines(Path.Combine(saved, "sessions.jsonl")).Select(l => JsonSerializer.Deserialize<Session>(l)!).ToList();
    var problems = File.Exists(Path.Combine(saved, "problems.txt")) ? File.ReadAllLines(Path.Combine(saved, "problems.txt")) : [];
    var again = Verdict.Of(sessions, patience, problems);
    Console.WriteLine($"{saved}: {sessions.Count} sessions, {again.LinesShown} lines shown, {again.StrangerLines} lines from strangers ({string.Join(", ", again.Strangers)})");
    return Report(again);
}

var output = options.Output ?? Path.Combine(Path.GetTempPath(), $"rxchat-chaos-{options.Seed}-{Environment.ProcessId}");
Directory.CreateDirectory(output);
Console.WriteLine($"RxChat fault run: seed {options.Seed}, {Minutes(options.Length)} minutes, {options.Nodes} nodes, {options.Clients} clients per node, node timeout {options.NodeTimeout.TotalSeconds} s, {setup}");
Console.WriteLine($"schedule: {plan.Count} faults ({fingerprint}; --plan prints it); transcripts and logs: {output}");

// Ctrl+C and SIGTERM stop the run; what it started is stopped by PID on the way out.
using var stop = new CancellationTokenSource();
using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);
void Interrupt(PosixSignalContext context)
{
    context.Cancel = true;
    Console.WriteLine("stopping...");
    stop.Cancel();
}

var clock = Stopwatch.StartNew();
var done = new List<(Fault Fault, double At, double Took, string? Found)>();
var marks = new List<(int Lost, int ContactLost, int Fenced)>(); // the nodes' events before each fault, and at the end
var talkers = new List<Talker>();
var talking = new List<Task>();
var problemsSeen = new List<string>();
using var quiet = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
FaultyRoom? room = null;
var status = 0;
try
{
    room = await FaultyRoom.StartAsync(options.Nodes, options.NodeTimeout, sentinel: !options.SingleRedis, stop.Token);
    for (var node = 0; node < options.Nodes; node++)
    {
        for (var c = 0; c < options.Clients; c++)
        {
            var talker = new Talker(talkers.Count, node, room, clock, unchecked((options.Seed * 1000) + talkers.Count));
            talkers.Add(talker);
            talking.Add(talker.RunAsync(quiet.Token));
        }
    }

    // The schedule starts once the room is up: its times count from here.
    var start = clock.Elapsed;
    Log(clock, $"room up: {room.Redis.Describe()}; nodes {string.Join(", ", room.Processes.Select(p => p.Process.Pid))}");
    foreach (var fault in plan)
    {
        var due = start + fault.At - clock.Elapsed;
        if (due > TimeSpan.Zero)
        {
            await Task.Delay(due, stop.Token);
        }

        var began = clock.Elapsed.TotalSeconds;
        marks.Add(Marks(room));
        Log(clock, fault.ToString());
        var found = await room.InjectAsync(fault, stop.Token);
        if (found is not null)
        {
            Log(clock, $"  #{fault.Number}: {found}");
        }

        done.Add((fault, began, clock.Elapsed.TotalSeconds - began, found));
    }

    var end = start + options.Length - clock.Elapsed;
    if (end > TimeSpan.Zero)
    {
        await Task.Delay(end, stop.Token);
    }

    // The faults are over: every client must get back into the room, then chat a while; then all fall quiet, and
    // the run goes on for the patience, so that every rule about waits applies to the last lines too.
    marks.Add(Marks(room));
    Log(clock, "faults over; the room settles");
    var back = await WaitAsync(() => talkers.All(t => t.Current is { WelcomedAt: not null }), TimeSpan.FromSeconds(30), stop.Token);
    if (!back)
    {
        problemsSeen.Add($"the room did not come back: 30 s after the faults, clients {string.Join(", ", talkers.Where(t => t.Current is not { WelcomedAt: not null }).Select(t => $"c{t.Client} (node {t.Node})"))} were not in it");
    }

    await Task.Delay(3 * options.NodeTimeout, stop.Token);
    foreach (var talker in talkers)
    {
        talker.Hush();
    }

    await Task.Delay(patience + TimeSpan.FromSeconds(0.5), stop.Token);
    Log(clock, "done; stopping everything");
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    status = 130;
}
catch (Exception e)
{
    Console.WriteLine($"the run failed: {e}");
    status = 2;
}
finally
{
    await quiet.CancelAsync();
    await Task.WhenAll(talking);
    if (room is not null)
    {
        // The logs, whatever happened (a run that failed too).
        room.SaveLogs(output);
        await room.DisposeAsync();
    }
}

if (status != 0)
{
    Console.WriteLine(status == 130 ? "stopped: no verdict" : "no verdict");
    return status;
}

// What each session's node had logged: a session told it lost contact while its node lost the room was at a room loss.
var all = talkers.SelectMany(t => t.Sessions).OrderBy(s => s.ConnectedAt).ToList();
var processes = room!.Processes;
foreach (var session in all)
{
    var process = processes.First(p => p.Node == session.Node && p.Incarnation == session.Incarnation).Process;
    session.AtRoomLoss = session.End == "lost" && process.EventCount(FaultyRoom.LostEvent) > session.LossesAtStart;
}

problemsSeen.AddRange(room.Problems);
Save(output, all, [.. done.Select((d, i) => $"{d.At.ToString("0.000", CultureInfo.InvariantCulture)} s (took {d.Took.ToString("0.000", CultureInfo.InvariantCulture)} s): {d.Fault}{(d.Found is null ? "" : $" ({d.Found})")}; then {Events(Delta(marks[i], marks[i + 1]))}")], problemsSeen);
var verdict = Verdict.Of(all, patience, problemsSeen);

Console.WriteLine();
Console.WriteLine($"seed {options.Seed}, {Minutes(clock.Elapsed)} minutes, schedule {fingerprint}, {setup}");
Console.WriteLine($"faults: {done.Count}; by kind, with the nodes' events from each fault to the next (contact lost 311, counted gone 304, room lost 303):");
foreach (var kind in done.Select((d, i) => (Kind: Kind(d.Fault, options.NodeTimeout), After: Delta(marks[i], marks[i + 1]))).GroupBy(k => k.Kind).OrderBy(g => g.Key, StringComparer.Ordinal))
{
    Console.WriteLine($"  {kind.Key}: {kind.Count()}; then {Events((kind.Sum(k => k.After.Lost), kind.Sum(k => k.After.ContactLost), kind.Sum(k => k.After.Fenced)))}");
}

Console.WriteLine($"sessions: {all.Count} ({all.Count(s => s.WelcomedAt is not null)} entered the room); ended: {string.Join(", ", all.GroupBy(s => s.AtRoomLoss ? "lost at a room loss" : Ending(s.End)).OrderByDescending(g => g.Count()).Select(g => $"{g.Key} {g.Count()}"))}");
Console.WriteLine($"lines: {all.Sum(s => s.Sent.Count)} said, {verdict.LinesShown} shown, {verdict.LinesReceived} received in all");
if (verdict.StrangerLines > 0)
{
    Console.WriteLine($"strangers: {verdict.StrangerLines} chat lines from {string.Join(", ", verdict.Strangers)}, no session of the run (another program connected to a node): not judged");
}

Console.WriteLine($"room losses seen: {room.EventCount(FaultyRoom.LostEvent)} (event 303, all nodes); contact lost: {room.EventCount(FaultyRoom.ContactLostEvent)} (311); counted gone: {room.EventCount(FaultyRoom.FencedEvent)} (304)");
Console.WriteLine($"longest waits: prompt {verdict.Longest.Prompt:0.00} s, entering {verdict.Longest.Welcome:0.00} s, own line back {verdict.Longest.Echo:0.00} s (patience {patience.TotalSeconds:0.##} s)");
return Report(verdict);

static int Report(Verdict verdict)
{
    if (verdict.Holds)
    {
        Console.WriteLine("verdict: the room held: every session's chat lines a contiguous window of one total order, nothing hung");
        return 0;
    }

    Console.WriteLine($"verdict: VIOLATED, {verdict.Violations.Count} violations ({string.Join(", ", verdict.Violations.GroupBy(v => v.Kind).Select(g => $"{g.Key} {g.Count()}"))}); the first:");
    Console.WriteLine(verdict.Violations[0].Text);
    foreach (var (kind, text) in verdict.Violations.Skip(1).Take(5))
    {
        Console.WriteLine($"and {kind}: {text.Split('\n')[0]}");
    }

    return 1;
}

static async Task<bool> WaitAsync(Func<bool> condition, TimeSpan timeout, CancellationToken token)
{
    var deadline = Stopwatch.StartNew();
    while (!condition())
    {
        if (deadline.Elapsed > timeout)
        {
            return false;
        }

        await Task.Delay(100, token);
    }

    return true;
}

static void Save(string output, List<Session> sessions, IEnumerable<string> faults, List<string> problems)
{
    File.WriteAllLines(Path.Combine(output, "sessions.jsonl"), sessions.Select(s => JsonSerializer.Serialize(s)));
    File.WriteAllLines(Path.Combine(output, "faults.txt"), faults);
    File.WriteAllLines(Path.Combine(output, "problems.txt"), problems);
}

static (int Lost, int ContactLost, int Fenced) Marks(FaultyRoom room) =>
    (room.EventCount(FaultyRoom.LostEvent), room.EventCount(FaultyRoom.ContactLostEvent), room.EventCount(FaultyRoom.FencedEvent));

static (int Lost, int ContactLost, int Fenced) Delta((int Lost, int ContactLost, int Fenced) from, (int Lost, int ContactLost, int Fenced) to) =>
    (to.Lost - from.Lost, to.ContactLost - from.ContactLost, to.Fenced - from.Fenced);

static string Events((int Lost, int ContactLost, int Fenced) events) =>
    $"contact lost {events.ContactLost}, counted gone {events.Fenced}, room lost {events.Lost}";

static void Log(Stopwatch clock, string text) => Console.WriteLine($"[{clock.Elapsed.TotalSeconds,7:0.00} s] {text}");

static string Minutes(TimeSpan length) => length.TotalMinutes.ToString("0.##", CultureInfo.InvariantCulture);

// A fault's kind as the summary counts it: how long, against the node timeout, where that matters.
static string Kind(Fault fault, TimeSpan nodeTimeout)
{
    var past = fault.Duration > nodeTimeout ? "past the node timeout" : "within the node timeout";
    return fault.Kind switch
    {
        FaultKind.NodeKilled => "node killed",
        FaultKind.NodeStalled => $"node stalled {past}",
        FaultKind.NodeCutOff => $"node cut off ({fault.Mode.ToString().ToLowerInvariant()}) {past}",
        FaultKind.RedisKilled => $"Redis restarted with its data {past}",
        FaultKind.RedisWiped => "Redis restarted without its data",
        FaultKind.RedisFrozen => $"Redis frozen {past}",
        FaultKind.RedisFlushed => "Redis flushed",
        FaultKind.RedisFailover => "Redis failed over (SENTINEL FAILOVER)",
        FaultKind.RedisMasterKilled => fault.Frozen switch
        {
            0 => "Redis master killed, replicas in step",
            1 => "Redis master killed, one replica lagging",
            _ => "Redis master killed, every replica lagging",
        },
        _ => "subscriptions killed",
    };
}

static string Ending(string end) => end switch
{
    "lost" => "lost contact",
    "closed" => "closed (node killed)",
    "open" => "open at the end",
    _ => end,
};
