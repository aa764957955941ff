namespace RxChat.Core;

/// <summary>
/// The fold's rules for what a door says beside a line's text (<see cref="DoorCommand"/>; PROTOCOL.md, Doors): part of
/// the pure fold, like <see cref="Commands"/>. An IRC client registers a name before it joins the room, joins and
/// leaves the room while connected, quits with words, asks about the room and has its own replies sent in its order.
/// </summary>
internal static class DoorRules
{
    /// <summary>Runs <paramref name="command"/> from <paramref name="client"/>; <paramref name="text"/> is the line's text, sanitised.</summary>
    public static ChatStep Run(ChatState state, Client client, DoorCommand command, string text) => command switch
    {
        Echo echo => new(state, [new Send(client, new(string.Join(' ', echo.Lines)) { Message = new EchoMessage(echo.Lines) })]),
        QuitRoom quit => ChatRules.Leave(state, new ClientLeft(client.Id, DisconnectReason.Quit), quit.Words),
        Register register => Register(state, client, text.Trim(), register.User),
        _ when !client.IsNamed => ChatRules.Reply(state, client, ChatRules.Error("error: register first (NICK and USER)", ErrorKind.NotRegistered)),
        Ask ask => new(state, [new Send(client, ChatRules.Answer(state, ask.Query))]),
        SetAway away => Away(state, client, away.Message),
        JoinRoom when client.InRoom => ChatStep.Unchanged(state),
        JoinRoom => ChatRules.EnterRoom(state, client),
        PartRoom when !client.InRoom => ChatRules.Reply(state, client, ChatRules.Error("error: you are not in the room", ErrorKind.NotOnChannel)),
        PartRoom part => ChatRules.LeaveRoom(state, client, part.Words),
        _ => ChatStep.Unchanged(state),
    };

    // Away or back: known to every node (WHO, WHOIS, a /msg's sender hear of it), confirmed to the client alone.
    private static ChatStep Away(ChatState state, Client client, string? message)
    {
        var next = state with { Connections = state.Connections.SetItem(client.Id, client with { Away = message is null ? null : Sanitiser.Sanitise(message) }) };
        string[] reply = [message is null ? "305 :You are no longer marked as being away" : "306 :You have been marked as being away"];
        return new(next, [new Send(client, new(string.Join(' ', reply)) { Message = new EchoMessage([.. reply]) })]);
    }

    // The connection's name: taken at registration (the welcome follows), changed after it (as /nick; the same name
    // again changes nothing).
    private static ChatStep Register(ChatState state, Client client, string name, string user)
    {
        if (client.IsNamed)
        {
            return string.Equals(name, client.Name, StringComparison.Ordinal) ? ChatStep.Unchanged(state) : Commands.Rename(state, client, name);
        }

        if (ChatRules.Refusal(state, client, name) is { } refusal)
        {
            return ChatRules.Reply(state, client, refusal);
        }

        var (next, named) = ChatRules.Name(state, client with { User = user }, name);
        var step = new ChatStep(next, [new Send(named, ChatRules.Welcome(next, named))]);
        return named.IsLocal ? step.Reporting(new ClientEntered(client.Id, name)) : step;
    }
}
