namespace RxChat.Chaos;

/// <summary>
/// One connection of a client, from connect to close: what it sent and every line it received, each with its time
/// (seconds from the start of the run, on the run's one clock). Written by the client's reader and sender while the
/// run goes on (hence the lock), read once it has ended; saved as one line of JSON, and read back by <c>--check</c>.
/// </summary>
internal sealed class Session
{
    private readonly Lock _lock = new();

    /// <summary>The client's name in the room for this session: <c>cCLIENT-sNUMBER</c>.</summary>
    public string Name => $"c{Client}-s{Number}";

    /// <summary>The client (0 to clients - 1).</summary>
    public int Client { get; set; }

    /// <summary>The session's number for its client, from 1.</summary>
    public int Number { get; set; }

    /// <summary>The node it connected to.</summary>
    public int Node { get; set; }

    /// <summary>Which start of that node's process (from 1).</summary>
    public int Incarnation { get; set; }

    /// <summary>When the connection was made.</summary>
    public double ConnectedAt { get; set; }

    /// <summary>When the prompt came; null if it never did.</summary>
    public double? PromptAt { get; set; }

    /// <summary>When its name was sent.</summary>
    public double? NameSentAt { get; set; }

    /// <summary>When <c>You are NAME</c> came: in the room from then on.</summary>
    public double? WelcomedAt { get; set; }

    /// <summary>When the connection ended (or the run did).</summary>
    public double EndedAt { get; set; }

    /// <summary>How it ended: lost (lost contact with the room), refused, closed, reset, shutdown, silent, open (still open when the run ended).</summary>
    public string End { get; set; } = "open";

    /// <summary>Room losses (event 303) its node's process had logged when it connected.</summary>
    public int LossesAtStart { get; set; }

    /// <summary>Ended with <c>Disconnected: lost contact with the room</c> while its node lost the room (event 303).</summary>
    public bool AtRoomLoss { get; set; }

    /// <summary>Every line received, in order.</summary>
    public List<Heard> Received { get; set; } = [];

    /// <summary>Every chat line sent, by number (its text is <c>cCLIENT sNUMBER nN</c>).</summary>
    public List<Said> Sent { get; set; } = [];

    /// <summary>The text of its <paramref name="n"/>th line.</summary>
    public string Text(int n) => $"c{Client} s{Number} n{n}";

    /// <summary>A line received now.</summary>
    public void Hear(double at, string line)
    {
        lock (_lock)
        {
            Received.Add(new Heard(at, line));
        }
    }

    /// <summary>Its <paramref name="n"/>th line, about to be sent.</summary>
    public void Say(int n, double at)
    {
        lock (_lock)
        {
            Sent.Add(new Said(n, at));
        }
    }
}
