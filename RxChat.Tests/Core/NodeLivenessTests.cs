using NUnit.Framework;
using RxChat.Core;

namespace RxChat.Tests.Core;

/// <summary>
/// <see cref="NodeLiveness"/> alone, as tables: the room's clock and which nodes a room entry finds silent, in log time
/// (PROTOCOL.md, Rooms across nodes). Times are seconds; the node timeout is 5 s (a heartbeat of 1 s).
/// </summary>
public class NodeLivenessTests
{
    private static readonly RoomSettings Settings = new(TimeSpan.FromSeconds(5), 100);
    private static readonly DateTimeOffset Start = new(2026, 12, 6, 0, 0, 0, TimeSpan.Zero);

    // Plays "node@seconds" entries (node 0 is the room itself) and returns each entry's silent nodes, "-" for none.
    private static (NodeLiveness Liveness, string[] Silent, string[] Joined) Play(string entries, RoomSettings? settings = null)
    {
        var liveness = NodeLiveness.Empty;
        var silent = new List<string>();
        var joined = new List<string>();
        foreach (var entry in entries.Split(' '))
        {
            var parts = entry.Split('@');
            var (node, at) = (long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
            var (next, isNew, gone) = liveness.Tick(node, Start.AddSeconds(at), settings ?? Settings);
            foreach (var n in gone)
            {
                next = next.Gone(n, fence: true);
            }

            liveness = next;
            silent.Add(gone.IsEmpty ? "-" : string.Join(",", gone));
            joined.Add(isNew ? "+" : "-");
        }

        return (liveness, [.. silent], [.. joined]);
    }

    [TestCase("1@0 2@0 1@1 1@2 1@3 1@4 1@5 1@5.5", "- - - - - - - 2", TestName = "Tick_ANodeSilentPastTheTimeoutWhileTheRoomGoesOn_IsFoundSilentOnce")]
    [TestCase("1@0 2@0 1@1 1@2 1@3 1@4 1@5", "- - - - - - -", TestName = "Tick_ExactlyTheTimeout_IsNotSilent")]
    [TestCase("1@0 2@0 1@1 1@2 1@3 1@4 1@5.5", "- - - - - - -", TestName = "Tick_AGapLongerThanAHeartbeat_CountsAsOne")]
    [TestCase("1@0 2@0 1@30", "- - -", TestName = "Tick_TheWholeLogAway_CountsOnlyAsOneHeartbeat")]
    [TestCase("1@0 2@0 1@3 1@8", "- - - -", TestName = "Tick_AnOutageShorterThanTheTimeout_BlamesNobody")]
    [TestCase("1@0 2@0 3@0 1@1 1@2 1@3 1@4 1@5 1@6", "- - - - - - - - 2,3", TestName = "Tick_TwoSilentNodes_AreFoundTogetherInNumberOrder")]
    [TestCase("0@0 0@10 0@20", "- - -", TestName = "Tick_TheRoomItself_IsNoNode")]
    public void Tick_Table(string entries, string expected)
    {
        Assert.That(Play(entries).Silent, Is.EqualTo(expected.Split(' ')));
    }

    [Test]
    public void Tick_NoTimeout_NobodyIsEverSilent()
    {
        Assert.That(Play("1@0 2@0 1@100", new RoomSettings(TimeSpan.Zero, 0)).Silent, Is.EqualTo(new[] { "-", "-", "-" }));
    }

    [Test]
    public void Tick_ClockNeverGoesBack_AndANodeIsNewOnce()
    {
        var (liveness, _, joined) = Play("1@5 2@3 1@6 0@1");

        Assert.Multiple(() =>
        {
            Assert.That(liveness.Time, Is.EqualTo(Start.AddSeconds(6)));
            Assert.That(joined, Is.EqualTo(new[] { "+", "+", "-", "-" }));
            Assert.That(liveness.Nodes.Keys, Is.EqualTo(new[] { 1L, 2L }));
        });
    }

    [Test]
    public void GoneAndRetired_FenceOnlyWhatMayStillAppend()
    {
        var (liveness, _, _) = Play("1@0 2@0 3@0");

        var fenced = liveness.Gone(2, fence: true);
        var stopped = liveness.Gone(3, fence: false);

        Assert.Multiple(() =>
        {
            Assert.That(fenced.Fenced, Is.EquivalentTo(new[] { 2L }));
            Assert.That(fenced.Nodes.Keys, Is.EqualTo(new[] { 1L, 3L }));
            Assert.That(stopped.Fenced, Is.Empty);
            Assert.That(fenced.Retired(2).Fenced, Is.Empty, "retired: no entry of its can follow");
            Assert.That(liveness.Retired(3).Nodes.Keys, Is.EqualTo(new[] { 1L, 2L }));
        });
    }
}
