-- The send rate of one bot, shared by every worker on the database: the earliest time (in
-- microseconds since the epoch) its next message may go. Each send reserves the next slot.
CREATE TABLE send_rates (
    bot TEXT PRIMARY KEY,
    next_us INTEGER NOT NULL
);
