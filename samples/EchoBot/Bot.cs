using System.Globalization;
using System.Reactive.Concurrency;
using System.Reactive.Linq;

namespace EchoBot;

/// <summary>
/// The bot's mind, pure Rx and no I/O: the lines the server sends it go in, the lines it says come out. It gives
/// its name, then answers chat lines from the others: <c>!time</c> with the time on its clock, <c>!count</c> with
/// the number of chat lines it has seen, <c>!echo TEXT</c> with TEXT. Everything else it only counts.
/// </summary>
/// <param name="name">The name it asks for; if that is refused it tries NAME2, NAME3, ...</param>
/// <param name="clock">Its source of time: the server's scheduler, or a <c>TestScheduler</c> in tests.</param>
internal sealed class Bot(string name, IScheduler clock)
{
    /// <summary>
    /// The lines to say in answer to <paramref name="heard"/>. Cold: subscribing subscribes to
    /// <paramref name="heard"/>, then says the name at once (the connection's first line, prompt seen or not);
    /// after that it answers on the thread of what it hears, and completes when <paramref name="heard"/> does.
    /// </summary>
    public IObservable<string> Answer(IObservable<string> heard) => Observable.Create<string>(observer =>
    {
        // Listen first, then speak: the server's welcome must not arrive before we listen.
        var answers = heard.Scan(State.Start, Hear).Select(s => s.Reply).OfType<string>().Subscribe(observer);
        observer.OnNext(name);
        return answers;
    });

    private State Hear(State state, string line)
    {
        var s = state with { Reply = null };
        if (s.Me is null)
        {
            // Entering (PROTOCOL.md): "You are NAME" welcomes us; an "error: " line means the name was refused.
            return line.StartsWith("You are ", StringComparison.Ordinal) ? s with { Me = line["You are ".Length..] }
                : line.StartsWith("error: ", StringComparison.Ordinal) ? s with { Tries = s.Tries + 1, Reply = $"{name}{s.Tries + 1}" }
                : s;
        }

        // A chat line is "NAME: TEXT". Names hold no space, so "Current clients: ..." and "NAME (private): ..."
        // are not chat lines; "error: ..." is what the server says to us.
        var colon = line.IndexOf(": ", StringComparison.Ordinal);
        if (colon <= 0 || line.AsSpan(0, colon).Contains(' ') || line.StartsWith("error: ", StringComparison.Ordinal))
        {
            return s;
        }

        var (from, text) = (line[..colon], line[(colon + 2)..]);
        if (string.Equals(from, s.Me, StringComparison.OrdinalIgnoreCase))
        {
            return s; // our own lines come back to us too
        }

        var seen = s.Seen + 1;
        return s with { Seen = seen, Reply = Command(text, seen) };
    }

    private string? Command(string text, int seen) => text switch
    {
        "!time" => "time: " + clock.Now.ToString("u", CultureInfo.InvariantCulture),
        "!count" => $"chat lines seen: {seen}",

        // A line starting with '/' would be a command: "//TEXT" says "/TEXT" (PROTOCOL.md, Commands).
        _ when text.StartsWith("!echo ", StringComparison.Ordinal) => text[6..] is var echo && echo.StartsWith('/') ? "/" + echo : echo,
        _ => null,
    };

    private sealed record State(string? Me, int Tries, int Seen, string? Reply)
    {
        public static State Start { get; } = new(null, 1, 0, null);
    }
}
