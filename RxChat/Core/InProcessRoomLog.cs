using System.Reactive.Concurrency;
using System.Reactive.Linq;

namespace RxChat.Core;

/// <summary>
/// The log of a room that lives in this process alone: the merge's order is the room's, each entry numbered and
/// stamped with the scheduler's time as it passes; nothing waits.
/// </summary>
/// <param name="scheduler">The source of the entries' time.</param>
internal sealed class InProcessRoomLog(IScheduler scheduler) : IRoomLog
{
    public Task Ready => Task.CompletedTask;

    public bool IsServing => true;

    public IObservable<RoomEntry> Order(IObservable<Admitted> events) =>
        events.Select((a, i) => new RoomEntry(i + 1, scheduler.Now, a.Event, a.Local));

    public void Folded(RoomEntry entry, ChatStep step)
    {
    }
}
