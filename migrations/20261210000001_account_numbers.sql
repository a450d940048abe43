-- The integration API makes accounts (issue 13): numbers for those whose maker brings none.
-- The sequence starts where the demo numbering starts; engine::accounts moves it past the
-- largest number in use when the number it hands out is taken (seeded or imported).
create sequence account_number_seq as bigint minvalue 100000 maxvalue 999999999999 start 10000001;
