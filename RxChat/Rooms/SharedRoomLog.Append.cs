using RxChat.Core;

namespace RxChat.Rooms;

/// <summary>Appending this node's events to the room's log: one batch at a time, sent again as it was after a failure.</summary>
internal sealed partial class SharedRoomLog
{
    // Queues a room event of this node's, under its number, and pairs it with its entry to come.
    private void Append(ChatEvent e, bool bounded, bool last = false)
    {
        var stamped = Stamp(e);
        if (RoomCodec.Write(stamped) is not { } payload || _queue.Add(payload, bounded, last) is not { } nodeSeq)
        {
            return;
        }

        // Logged again only once the backlog has halved.
        _backlogged &= _queue.Fill >= 0.5;
        _pairing.Own(nodeSeq, stamped);
        Send();
    }

    // Sends the next batch when none is under way.
    private void Send()
    {
        // Sent even while the store says it is away: the store fails it at once if it is, and an answer shows it is not.
        if (_phase != Phase.Live || _epoch is not { } epoch || _queue.Next(Now) is not { } batch)
        {
            return;
        }

        var request = new AppendRequest(epoch, _node, batch[0].NodeSeq, _sequencer.Guard, NewEpoch(), [.. batch.Select(b => b.Payload)], batch[^1].Last)
        {
            Incarnation = _incarnation,
        };
        Run(_store.Append(request), reply => OnAppended(batch, request, reply), error => OnAppendFailed(batch, error));
    }

    private void OnAppended(Outgoing[] batch, AppendRequest request, AppendReply reply)
    {

        switch (reply.Status)
        {
            case StoreStatus.Done:
                _queue.Done(batch);
                _failing = false;
                _metrics?.RoomEntriesAppended.Add(batch.Length);
                if (reply.Discarded > 0)
                {
                    RoomLog.Discarded(_logger, _where, reply.Discarded);
                }

                _sequencer.Appended(reply.Start, _node, request.FirstNodeSeq, reply.Millis, request.Payloads);
                break;
            case StoreStatus.Duplicate:
                // It landed before (the answer was lost): its entries are read as others' are.
                _queue.Done(batch);
                _failing = false;
                _sequencer.Hint(_sequencer.Expected);
                break;
            case StoreStatus.Gone:
                LoseRoom("the room is gone from the store (Redis lost it, or it was replaced)");
                return;
            case StoreStatus.Lost:
                LoseRoom($"the room's log lost entries this node had: {reply.Why ?? "an entry it appended is not there"}");
                return;
            case StoreStatus.Retired when _stopping:
                _queue.Done(batch);
                return;
            case StoreStatus.Retired:
                // The room counted this node gone and retired its number (the fold here may not have got there yet).
                Fenced();
                return;
            default:
                // The newest entry this node knows is trimmed from the log: it fell too far behind the room.
                CutOff();
                return;
        }

        Pump();
    }

    private void OnAppendFailed(Outgoing[] batch, Exception error)
    {
        if (!_queue.Failed(batch, Now + _settings.NodeHeartbeat))
        {
            return;
        }

        if (!_failing)
        {
            RoomLog.AppendFailed(_logger, error.Message);
            _failing = true;
        }

        if (_stopping)
        {
            // What the stop waits for may not come back in time: this node's connections hear of the stop now.
            FlushLocals();
        }
    }
}
