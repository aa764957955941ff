using System.Diagnostics;
using System.Net.Sockets;
using RxChat.Tests.Support;

namespace RxChat.Chaos;

/// <summary>
/// One client of the run, always on the same node: it connects, enters under a name of the session's own
/// (<c>cCLIENT-sNUMBER</c>), says a numbered line every few hundred milliseconds (<c>cCLIENT sNUMBER nN</c>) and
/// records every line it receives; when its connection ends it pauses a moment and starts a new session. While its
/// node is down it waits for it.
/// </summary>
internal sealed class Talker(int client, int node, FaultyRoom room, Stopwatch clock, int seed)
{
    private const string Prompt = "What is your name?";

    // How long a read may wait before the session is abandoned as silent: far past any wait the run allows.
    private static readonly TimeSpan Silence = TimeSpan.FromSeconds(60);

    private readonly Random _random = new(seed);
    private readonly List<Session> _sessions = [];
    private volatile bool _speaking = true;
    private volatile Session? _current;

    /// <summary>The client's number.</summary>
    public int Client => client;

    /// <summary>The node it talks to.</summary>
    public int Node => node;

    /// <summary>Every session so far, in order.</summary>
    public IReadOnlyList<Session> Sessions
    {
        get
        {
            lock (_sessions)
            {
                return [.. _sessions];
            }
        }
    }

    /// <summary>The session open now; null between sessions.</summary>
    public Session? Current => _current;

    /// <summary>Says nothing more (the sessions stay open and go on listening).</summary>
    public void Hush() => _speaking = false;

    /// <summary>Runs sessions, one after the other, until <paramref name="token"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken token)
    {
        var number = 0;
        try
        {
            while (!token.IsCancellationRequested)
            {
                var (process, incarnation, endPoint) = await room.ReachAsync(node, token);
                LineClient connection;
                try
                {
                    connection = await LineClient.ConnectAsync(endPoint, token);
                }
                catch (SocketException)
                {
                    // The node went down meanwhile: not a session.
                    await Task.Delay(100, token);
                    continue;
                }

                var session = new Session
                {
                    Client = client, Number = ++number, Node = node, Incarnation = incarnation, ConnectedAt = Now,
                    LossesAtStart = process.EventCount(FaultyRoom.LostEvent),
                };
                lock (_sessions)
                {
                    _sessions.Add(session);
                }

                _current = session;
                await using (connection)
                {
                    await RunSessionAsync(connection, session, token);
                }

                _current = null;
                await Task.Delay(_random.Next(200, 600), token);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The run is over.
        }
    }

    private double Now => clock.Elapsed.TotalSeconds;

    // Reads every line until the connection ends, entering on the way; speaks once in the room.
    private async Task RunSessionAsync(LineClient connection, Session session, CancellationToken token)
    {
        connection.ReadTimeout = Silence;
        using var speaking = CancellationTokenSource.CreateLinkedTokenSource(token);
        var speaker = Task.CompletedTask;
        string? last = null;
        try
        {
            while (await connection.ReadLineAsync() is { } line)
            {
                var at = Now;
                session.Hear(at, line);
                last = line;
                if (session.PromptAt is null && line == Prompt)
                {
                    session.PromptAt = at;
                    await connection.SendAsync(session.Name);
                    session.NameSentAt = Now;
                }
                else if (session.WelcomedAt is null && line == $"You are {session.Name}")
                {
                    session.WelcomedAt = at;
                    speaker = SpeakAsync(connection, session, speaking.Token);
                }
            }

            session.End = last switch
            {
                "Disconnected: lost contact with the room" => "lost",
                "error: room unavailable" => "refused",
                { } shutdown when shutdown.StartsWith("Server shutting down", StringComparison.Ordinal) => "shutdown",
                _ => "closed",
            };
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            session.End = "open";
        }
        catch (OperationCanceledException)
        {
            session.End = "silent";
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
            session.End = "reset";
        }
        finally
        {
            session.EndedAt = Now;
            await speaking.CancelAsync();
            await speaker;
        }
    }

    // A numbered line every 250 to 450 ms while the run wants lines.
    private async Task SpeakAsync(LineClient connection, Session session, CancellationToken token)
    {
        var n = 0;
        try
        {
            while (true)
            {
                await Task.Delay(_random.Next(250, 450), token);
                if (!_speaking)
                {
                    return;
                }

                // Noted before it goes: its echo may come back before the write returns.
                session.Say(++n, Now);
                await connection.SendAsync(session.Text(n));
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
        {
            // The session is over.
        }
    }
}
