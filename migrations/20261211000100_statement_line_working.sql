-- Explain my bill (issue 14): each statement line keeps how its amount was worked out, in
-- the billing code's own figures ("$55.00 × 17 ÷ 30 = $31.17"), written by the bill run
-- with the line (`billing::bill::BillLine::working`). Lines issued before have none.
alter table statement_lines
    add column working text check (length(working) between 1 and 500);
