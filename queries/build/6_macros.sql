-- A share in percent, rounded half-up to 2 decimals in integer arithmetic (exact,
-- unlike a binary float): floor((100 * part / total) * 100 + 1/2) / 100.
CREATE MACRO percentage(part, total) AS
    CAST(CAST((part * 20000 + total) // (2 * total) AS DECIMAL(18, 0)) * 0.01 AS DOUBLE);
