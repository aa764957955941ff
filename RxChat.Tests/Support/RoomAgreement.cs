using NUnit.Framework;

namespace RxChat.Tests.Support;

/// <summary>
/// Whether a room on several nodes is one room after a fault (PROTOCOL.md, Rooms across nodes): either every client on
/// every node hears the same chat lines in the same order, or every connection was told it lost contact with the
/// room. Each client sends a fresh marker; every client reads until it has heard every marker, or its connection ends.
/// </summary>
internal static class RoomAgreement
{
    private const string LostContact = "Disconnected: lost contact with the room";

    /// <summary>What one client heard, from the start of the check to every marker or the end of its connection.</summary>
    /// <param name="Name">The client's name.</param>
    /// <param name="Lines">Every line heard.</param>
    /// <param name="Ended">Its connection ended.</param>
    internal sealed record Heard(string Name, IReadOnlyList<string> Lines, bool Ended)
    {
        /// <summary>The chat lines heard (<c>NAME: TEXT</c>).</summary>
        public IReadOnlyList<string> Chat => [.. Lines.Where(l => l.Contains(": ", StringComparison.Ordinal) && !l.StartsWith("error: ", StringComparison.Ordinal) && !l.StartsWith("Disconnected: ", StringComparison.Ordinal))];

        /// <summary>Told it lost contact with the room, then closed.</summary>
        public bool Lost => Ended && Lines.Count > 0 && Lines[^1] == LostContact;
    }

    /// <summary>
    /// Each client still connected sends a marker; every client reads until it has heard every marker sent (or its
    /// connection ended). Returns what each heard, in the order given.
    /// </summary>
    public static async Task<IReadOnlyList<Heard>> MarkAsync(IReadOnlyList<(string Name, LineClient Client)> clients)
    {
        var token = Guid.NewGuid().ToString("N")[..8];
        var markers = new List<string>();
        foreach (var (name, client) in clients)
        {
            try
            {
                await client.SendAsync($"mark {token} {name}");
                markers.Add($"{name}: mark {token} {name}");
            }
            catch (IOException)
            {
                // Closed already: it has nothing to say.
            }
        }

        return await Task.WhenAll(clients.Select(c => HearAsync(c.Name, c.Client, markers)));
    }

    /// <summary>
    /// Asserts one room: every client lost contact, or none did and what each heard is a window of one order of chat
    /// lines: any two heard their common lines in the same order, and from the first line both heard on, each heard
    /// every line the other did (nothing lost on one node that another shows).
    /// </summary>
    public static void AssertOneRoom(IReadOnlyList<Heard> heard)
    {
        if (heard.All(h => h.Lost))
        {
            return;
        }

        Assert.That(heard.Where(h => h.Lost).Select(h => h.Name), Is.Empty, "some connections lost contact with the room, and some did not");
        var orders = heard.Select(h => h.Chat).ToList();
        for (var i = 0; i < heard.Count; i++)
        {
            for (var j = i + 1; j < heard.Count; j++)
            {
                var common = orders[i].Intersect(orders[j]).ToHashSet();
                Assert.That(orders[j].Where(common.Contains), Is.EqualTo(orders[i].Where(common.Contains)),
                    $"{heard[i].Name} and {heard[j].Name} heard the same lines in different orders");
                Assert.That(orders[i].SkipWhile(l => !common.Contains(l)), Is.EqualTo(orders[j].SkipWhile(l => !common.Contains(l))),
                    $"{heard[i].Name} and {heard[j].Name} heard different lines after the first they both heard");
            }
        }
    }

    private static async Task<Heard> HearAsync(string name, LineClient client, IReadOnlyList<string> markers)
    {
        var lines = new List<string>();
        var waiting = markers.ToHashSet();
        try
        {
            while (waiting.Count > 0)
            {
                var line = await client.ReadLineAsync();
                if (line is null)
                {
                    return new Heard(name, lines, Ended: true);
                }

                lines.Add(line);
                waiting.Remove(line);
            }
        }
        catch (IOException)
        {
            return new Heard(name, lines, Ended: true);
        }
        catch (OperationCanceledException e)
        {
            // Neither every marker nor the end of the connection within the client's read timeout: a hang, said as one.
            throw new TimeoutException(
                $"{name} heard nothing for {client.ReadTimeout} while waiting for {string.Join(", ", waiting.Select(w => $"'{w}'"))}; it heard {lines.Count} lines, the last: {string.Join(" | ", lines.TakeLast(5))}", e);
        }

        return new Heard(name, lines, Ended: false);
    }
}
