using System.Collections.Immutable;

namespace RxChat.Core;

/// <summary>
/// What a door says to the core beside a line's text, for what the line door says in text alone or cannot say
/// (PROTOCOL.md, Doors): an IRC client registers a name before it joins the room, joins and parts it, quits with words,
/// asks about the room, and needs its own replies in order with the room's.
/// </summary>
internal abstract record DoorCommand;

/// <summary>Registers the line's text as the connection's name, without entering the room (IRC's <c>NICK</c>+<c>USER</c>).</summary>
/// <param name="User">The user name it gave.</param>
internal sealed record Register(string User) : DoorCommand;

/// <summary>Enters the room, with the name it registered (IRC's <c>JOIN</c>).</summary>
internal sealed record JoinRoom : DoorCommand;

/// <summary>Leaves the room, staying connected with its name (IRC's <c>PART</c>).</summary>
internal sealed record PartRoom(string? Words) : DoorCommand;

/// <summary>Leaves, with words that the door shows as it goes (IRC's <c>QUIT :words</c>); the line's text is <c>/quit</c>.</summary>
internal sealed record QuitRoom(string? Words) : DoorCommand;

/// <summary>A question about the room, answered to the connection in its order, never sent to the room.</summary>
internal sealed record Ask(DoorQuery Query) : DoorCommand;

/// <summary>Lines to send back to the connection in its order (a reply the door makes itself), never sent to the room.</summary>
internal sealed record Echo(ImmutableArray<string> Lines) : DoorCommand;

/// <summary>Marks the client away with <paramref name="Message"/>, or back when it is null (IRC's <c>AWAY</c>).</summary>
internal sealed record SetAway(string? Message) : DoorCommand;

/// <summary>
/// The line's text as it is, but a refusal of it is not answered: IRC's <c>NOTICE</c>, which must never draw an
/// automatic reply (RFC 2812 §3.3.2; PROTOCOL.md, IRC door).
/// </summary>
internal sealed record Quietly : DoorCommand;

/// <summary>A door's question about the room.</summary>
/// <param name="Kind">What it asks.</param>
/// <param name="Names">The names or masks it asks about, as given.</param>
internal sealed record DoorQuery(QueryKind Kind, ImmutableArray<string> Names);

/// <summary>What a <see cref="DoorQuery"/> asks.</summary>
internal enum QueryKind
{
    /// <summary>The room's clients (IRC's <c>NAMES</c>).</summary>
    Names,

    /// <summary>The room's clients, or those with the given name (IRC's <c>WHO</c>).</summary>
    Who,

    /// <summary>The clients with the given names, in the room or not (IRC's <c>WHOIS</c>).</summary>
    Whois,

    /// <summary>Which of the given names are clients (IRC's <c>ISON</c>).</summary>
    Ison,

    /// <summary>The given clients' user and host (IRC's <c>USERHOST</c>).</summary>
    Userhost,

    /// <summary>The room itself (IRC's <c>LIST</c>).</summary>
    List,

    /// <summary>How many clients (IRC's <c>LUSERS</c>).</summary>
    Users,
}
