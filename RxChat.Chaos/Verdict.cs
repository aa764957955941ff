using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace RxChat.Chaos;

/// <summary>
/// What the run's transcripts say about the room (PROTOCOL.md v1.2, Rooms across nodes). The rules, each a kind of
/// violation:
/// <list type="bullet">
/// <item><b>order</b>: any two sessions received the chat lines they both received in the same order;</item>
/// <item><b>window</b>: between the first and the last chat line two sessions both received, each received exactly the
/// same lines: nothing shown on one node is missing on another (unless both sessions ended with
/// <c>Disconnected: lost contact with the room</c> at a room loss, where the room may have lost lines one node showed);</item>
/// <item><b>missed</b>: a session in the room when a line was said, and still open the patience after another session
/// received it, received it too (the end of a window, which the rule above cannot see), unless the room was lost with
/// it: the session and every session that received the line ended at a room loss;</item>
/// <item><b>forged</b>, <b>twice</b>, <b>sender order</b>: every chat line received was said, by the session it names,
/// once, and each sender's lines come in the order said;</item>
/// <item><b>hung</b>: no session waited longer than the patience (the node timeout plus 5 s) for its prompt, for its
/// welcome once it gave its name, or for its own line while its connection stayed open;</item>
/// <item><b>unexpected</b>: every line is one the protocol explains; <b>room</b>: the room came back after the faults.</item>
/// </list>
/// </summary>
internal sealed partial class Verdict
{
    private const string Prompt = "What is your name?";
    private const string LostContact = "Disconnected: lost contact with the room";

    private readonly List<(string Kind, string Text)> _violations = [];

    private Verdict(IReadOnlyList<Session> sessions) => Sessions = sessions;

    /// <summary>The sessions judged.</summary>
    public IReadOnlyList<Session> Sessions { get; }

    /// <summary>Every violation found, the first first: its kind and what shows it.</summary>
    public IReadOnlyList<(string Kind, string Text)> Violations => _violations;

    /// <summary>Whether the room held every rule.</summary>
    public bool Holds => _violations.Count == 0;

    /// <summary>
    /// Chat lines received from names no session of the run had: another program connected to a node. They are counted,
    /// not judged (nothing says what such a client said).
    /// </summary>
    public long StrangerLines { get; private set; }

    /// <summary>The names no session of the run had that said something.</summary>
    public IReadOnlySet<string> Strangers { get; private set; } = new HashSet<string>();

    /// <summary>Distinct chat lines received by some session.</summary>
    public int LinesShown { get; private set; }

    /// <summary>Chat lines received, all sessions.</summary>
    public long LinesReceived { get; private set; }

    /// <summary>The longest waits: for the prompt, for the welcome, for an own line back (seconds).</summary>
    public (double Prompt, double Welcome, double Echo) Longest { get; private set; }

    /// <summary>Judges <paramref name="sessions"/>; <paramref name="problems"/> are the run's own (the room not back).</summary>
    public static Verdict Of(IReadOnlyList<Session> sessions, TimeSpan patience, IEnumerable<string> problems)
    {
        var verdict = new Verdict(sessions);
        foreach (var problem in problems)
        {
            verdict.Violate("room", problem);
        }

        verdict.Judge(patience.TotalSeconds);
        return verdict;
    }

    [GeneratedRegex(@"^(c(\d+)-s(\d+)): (.*)$")]
    private static partial Regex ChatLine();

    // A chat line of a name the run's sessions never take (a valid name: PROTOCOL.md, Entering).
    [GeneratedRegex(@"^([\p{L}\p{M}\p{Nd}_.-]{1,32}): ")]
    private static partial Regex OtherChatLine();

    [GeneratedRegex(@"^c(\d+) s(\d+) n(\d+)$")]
    private static partial Regex ChatText();

    [GeneratedRegex(@"^(You are \S+|Current clients: .*|\S+ has arrived|\S+ has left|\S+ is now known as \S+|error: room unavailable|Server shutting down.*|Disconnected: lost contact with the room|What is your name\?)$")]
    private static partial Regex ServerLine();

    private void Violate(string kind, string text) => _violations.Add((kind, text));

    private void Judge(double patience)
    {
        var byName = Sessions.ToDictionary(s => s.Name, StringComparer.Ordinal);
        var said = Sessions.ToDictionary(s => s.Name, s => s.Sent.ToDictionary(x => x.N, x => x.At), StringComparer.Ordinal);

        // Every chat line gets a number; each session's chat lines as numbers, in the order received.
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var lines = new List<string>();
        var firstShown = new List<double>();
        var chat = new List<(int Id, double At)>[Sessions.Count];
        var strangers = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < Sessions.Count; i++)
        {
            var session = Sessions[i];
            chat[i] = [];
            var seen = new HashSet<int>();
            var lastFrom = new Dictionary<string, int>(StringComparer.Ordinal);
            foreach (var (at, line) in session.Received)
            {
                if (ChatLine().Match(line) is not { Success: true } match)
                {
                    if (!ServerLine().IsMatch(line) && OtherChatLine().Match(line) is { Success: true } other
                        && other.Groups[1].Value is not ("error" or "Disconnected"))
                    {
                        strangers.Add(other.Groups[1].Value);
                        StrangerLines++;
                    }
                    else if (!ServerLine().IsMatch(line))
                    {
                        Violate("unexpected", $"{Describe(session)} received a line the protocol does not explain: '{line}' at {Seconds(at)}");
                    }

                    continue;
                }

                var sender = match.Groups[1].Value;
                var text = ChatText().Match(match.Groups[4].Value);
                var n = text.Success ? int.Parse(text.Groups[3].Value, CultureInfo.InvariantCulture) : 0;
                if (!text.Success || text.Groups[1].Value != match.Groups[2].Value || text.Groups[2].Value != match.Groups[3].Value
                    || !said.TryGetValue(sender, out var sent) || !sent.ContainsKey(n))
                {
                    Violate("forged", $"{Describe(session)} received '{line}' at {Seconds(at)}, which no session said");
                    continue;
                }

                if (!ids.TryGetValue(line, out var id))
                {
                    id = lines.Count;
                    ids.Add(line, id);
                    lines.Add(line);
                    firstShown.Add(at);
                }

                firstShown[id] = Math.Min(firstShown[id], at);
                if (!seen.Add(id))
                {
                    Violate("twice", $"{Describe(session)} received '{line}' twice (again at {Seconds(at)})");
                    continue;
                }

                if (lastFrom.TryGetValue(sender, out var before) && before >= n)
                {
                    Violate("sender order", $"{Describe(session)} received {sender}'s line n{n} at {Seconds(at)} after its line n{before}");
                }

                lastFrom[sender] = n;
                chat[i].Add((id, at));
            }
        }

        Strangers = strangers;
        LinesShown = lines.Count;
        LinesReceived = chat.Sum(c => (long)c.Count);
        JudgeWaits(patience, lines, ids);
        JudgePairs(chat, lines);
        JudgeMissed(patience, chat, lines, firstShown, byName);
    }

    // Hung: waits for the prompt, the welcome, an own line back.
    private void JudgeWaits(double patience, List<string> lines, Dictionary<string, int> ids)
    {
        double longestPrompt = 0, longestWelcome = 0, longestEcho = 0;
        foreach (var session in Sessions)
        {
            var first = session.Received.Count > 0 ? session.Received[0].At : session.EndedAt;
            var prompt = first - session.ConnectedAt;
            longestPrompt = Math.Max(longestPrompt, prompt);
            if (prompt > patience)
            {
                Violate("hung", $"{Describe(session)} waited {Seconds(prompt)} for its prompt (from {Seconds(session.ConnectedAt)}; first line: '{session.Received.FirstOrDefault()?.Line ?? "(none)"}')");
            }

            if (session.NameSentAt is { } named)
            {
                var welcome = (session.WelcomedAt ?? session.EndedAt) - named;
                longestWelcome = Math.Max(longestWelcome, welcome);
                if (welcome > patience)
                {
                    Violate("hung", $"{Describe(session)} waited {Seconds(welcome)} to enter after it gave its name at {Seconds(named)}");
                }
            }

            var echoes = session.Received.Where(h => h.Line.StartsWith(session.Name + ": ", StringComparison.Ordinal))
                .GroupBy(h => h.Line, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().At, StringComparer.Ordinal);
            foreach (var (n, at) in session.Sent)
            {
                var line = $"{session.Name}: {session.Text(n)}";
                if (echoes.TryGetValue(line, out var back))
                {
                    longestEcho = Math.Max(longestEcho, back - at);
                    if (back - at > patience)
                    {
                        Violate("hung", $"{Describe(session)} waited {Seconds(back - at)} for its own line n{n} (said at {Seconds(at)})");
                    }
                }
                else if (session.EndedAt - at > patience)
                {
                    Violate("hung", $"{Describe(session)} said n{n} at {Seconds(at)} and never received it, though its connection stayed open until {Seconds(session.EndedAt)} ({session.End}){Elsewhere(line, ids)}");
                }
            }
        }

        Longest = (longestPrompt, longestWelcome, longestEcho);
    }

    // Order and window, for every two sessions.
    private void JudgePairs(List<(int Id, double At)>[] chat, List<string> lines)
    {
        // Where each line is in each session's order (-1: not received).
        var at = chat.Select(c =>
        {
            var positions = new int[lines.Count];
            Array.Fill(positions, -1);
            for (var k = 0; k < c.Count; k++)
            {
                positions[c[k].Id] = k;
            }

            return positions;
        }).ToArray();
        for (var a = 0; a < chat.Length; a++)
        {
            for (var b = a + 1; b < chat.Length; b++)
            {
                int count = 0, firstA = -1, lastA = -1, firstB = -1, lastB = -1, previousB = -1, previousA = -1;
                var ordered = true;
                for (var k = 0; k < chat[a].Count; k++)
                {
                    var kb = at[b][chat[a][k].Id];
                    if (kb < 0)
                    {
                        continue;
                    }

                    if (kb < previousB && ordered)
                    {
                        ordered = false;
                        Violate("order", $"{Describe(Sessions[a])} and {Describe(Sessions[b])} received two lines in different orders: '{lines[chat[a][previousA].Id]}' then '{lines[chat[a][k].Id]}' in the first, the other way round in the second\n"
                            + Context(Sessions[a], chat[a], lines, k) + Context(Sessions[b], chat[b], lines, kb));
                    }

                    (previousA, previousB) = (k, kb);
                    count++;
                    firstA = firstA < 0 ? k : firstA;
                    lastA = k;
                    firstB = firstB < 0 ? kb : Math.Min(firstB, kb);
                    lastB = Math.Max(lastB, kb);
                }

                if (count == 0 || !ordered || (Sessions[a].AtRoomLoss && Sessions[b].AtRoomLoss))
                {
                    continue;
                }

                if (lastA - firstA + 1 != count)
                {
                    var k = Enumerable.Range(firstA, lastA - firstA + 1).First(k => at[b][chat[a][k].Id] < 0);
                    Violate("window", Gap(Sessions[a], Sessions[b], chat[a], chat[b], lines, k, at[b]));
                }
                else if (lastB - firstB + 1 != count)
                {
                    var k = Enumerable.Range(firstB, lastB - firstB + 1).First(k => at[a][chat[b][k].Id] < 0);
                    Violate("window", Gap(Sessions[b], Sessions[a], chat[b], chat[a], lines, k, at[a]));
                }
            }
        }
    }

    // Missed: a session in the room when a line was said, open long after it was shown elsewhere, without it.
    private void JudgeMissed(double patience, List<(int Id, double At)>[] chat, List<string> lines, List<double> firstShown, Dictionary<string, Session> byName)
    {
        var said = lines.Select(line =>
        {
            var match = ChatLine().Match(line);
            var n = int.Parse(ChatText().Match(match.Groups[4].Value).Groups[3].Value, CultureInfo.InvariantCulture);
            var sender = byName[match.Groups[1].Value];
            return sender.Sent.First(s => s.N == n).At;
        }).ToArray();

        // Lines that only sessions told of a room loss received: the room may have lost them (as for a window).
        var lostWithTheRoom = Enumerable.Repeat(true, lines.Count).ToArray();
        for (var i = 0; i < Sessions.Count; i++)
        {
            foreach (var (id, _) in chat[i])
            {
                lostWithTheRoom[id] &= Sessions[i].AtRoomLoss;
            }
        }

        for (var i = 0; i < Sessions.Count; i++)
        {
            var session = Sessions[i];
            if (session.WelcomedAt is not { } welcomed)
            {
                continue;
            }

            var received = chat[i].Select(c => c.Id).ToHashSet();
            for (var id = 0; id < lines.Count; id++)
            {
                if (said[id] > welcomed && firstShown[id] + patience < session.EndedAt && !received.Contains(id)
                    && !(session.AtRoomLoss && lostWithTheRoom[id]))
                {
                    Violate("missed", $"{Describe(session)} was in the room from {Seconds(welcomed)} to {Seconds(session.EndedAt)} ({session.End}) and never received '{lines[id]}', said at {Seconds(said[id])} and shown elsewhere from {Seconds(firstShown[id])}");
                    break;
                }
            }
        }
    }

    // A window broken: in (first) received a line between two lines both received that (second) never did.
    private string Gap(Session first, Session second, List<(int Id, double At)> one, List<(int Id, double At)> other, List<string> lines, int k, int[] otherAt)
    {
        // The nearest line before it that both received, to show the other's order there.
        var before = Enumerable.Range(0, k).Reverse().FirstOrDefault(j => otherAt[one[j].Id] >= 0, -1);
        var there = before < 0 ? 0 : otherAt[one[before].Id];
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{Describe(first)} received '{lines[one[k].Id]}' at {Seconds(one[k].At)}, between lines it and {Describe(second)} both received, and {second.Name} never did\n");
        text.Append(Context(first, one, lines, k));
        text.Append(Context(second, other, lines, there + (before < 0 ? 0 : 1)));
        return text.ToString();
    }

    // A few chat lines of a session around its k-th, with their times; the k-th marked.
    private static string Context(Session session, List<(int Id, double At)> chat, List<string> lines, int k)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"    {session.Name} (node {session.Node}, start {session.Incarnation}, ended {session.End} at {Seconds(session.EndedAt)}), chat lines {Math.Max(0, k - 4) + 1} to {Math.Min(chat.Count, k + 5)} of {chat.Count}:\n");
        for (var j = Math.Max(0, k - 4); j < Math.Min(chat.Count, k + 5); j++)
        {
            text.Append(CultureInfo.InvariantCulture, $"      {(j == k ? ">" : " ")} {Seconds(chat[j].At),9}  {lines[chat[j].Id]}\n");
        }

        return text.ToString();
    }

    private string Elsewhere(string line, Dictionary<string, int> ids)
    {
        var shown = Sessions.Where(s => s.Received.Any(h => h.Line == line)).Select(s => s.Name).ToList();
        return !ids.ContainsKey(line) ? "; nobody received it" : $"; received by {string.Join(", ", shown)}";
    }

    private static string Describe(Session session) => $"{session.Name} (node {session.Node})";

    private static string Seconds(double seconds) => seconds.ToString("0.000", CultureInfo.InvariantCulture) + " s";
}
