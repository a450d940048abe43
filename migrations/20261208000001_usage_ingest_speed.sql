-- Usage ingestion at the network's pace (issue 12's benchmark): every accounting interim
-- or imported record changes one day row and one hourly row of its service, so those
-- writes are made cheap, and the third row each record used to change is gone.

-- How fresh the figures are now lives on the day row the figures were added to: the
-- newest instant of usage data ingested into it. The usage page reads the newest `through`
-- of the cycle's rows. (A separate usage_freshness row per service was a third row
-- written for every record.) Rows written before ingestion existed (the demo generator,
-- other systems) have none, and the page then says nothing about freshness.
alter table usage_daily add column through timestamptz;

update usage_daily d
   set through = f.through
  from usage_freshness f
 where d.service_id = f.service_id
   and d.day = (select max(x.day) from usage_daily x where x.service_id = f.service_id);

drop table usage_freshness;

-- Room on every page for the next version of its rows: adding bytes to a day, hourly or
-- session row is then a HOT update (no index entry to write, the old version pruned on
-- the page). Applies to pages filled from now on; existing pages keep their layout.
alter table usage_daily set (fillfactor = 80);
alter table usage_hourly set (fillfactor = 70);
alter table usage_sessions set (fillfactor = 70);

-- Adds `more` to `hours` element by element from position `first` (0 = local midnight's
-- hour): an interim update touches one or two hours of a day, so only those are sent and
-- added. Hours outside the day's length are refused (the check on usage_hourly would
-- refuse the row anyway; this says which value was wrong).
create function usage_add_hours(hours bigint[], first integer, more bigint[])
returns bigint[]
language plpgsql immutable parallel safe as $$
declare
    i integer;
begin
    if first < 0 or first + cardinality(more) > cardinality(hours) then
        raise exception 'usage_add_hours: hours % to % are outside a day of % hours',
            first, first + cardinality(more) - 1, cardinality(hours);
    end if;
    for i in 1 .. cardinality(more) loop
        hours[first + i] := hours[first + i] + more[i];
    end loop;
    return hours;
end
$$;
