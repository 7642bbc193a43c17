CREATE TABLE airports (id INTEGER PRIMARY KEY, airport_code VARCHAR NOT NULL, city VARCHAR NOT NULL, country VARCHAR NOT NULL, elevation_m INTEGER NOT NULL, is_international BOOLEAN NOT NULL);
CREATE TABLE aircraft (id INTEGER PRIMARY KEY, tail_number VARCHAR NOT NULL, model VARCHAR NOT NULL, seat_capacity INTEGER NOT NULL, manufacture_year INTEGER NOT NULL, in_service BOOLEAN NOT NULL);
CREATE TABLE flights (id INTEGER PRIMARY KEY, flight_number VARCHAR NOT NULL, origin_airport_id INTEGER NOT NULL REFERENCES airports(id), destination_airport_id INTEGER NOT NULL REFERENCES airports(id), aircraft_id INTEGER NOT NULL REFERENCES aircraft(id), departure_time TIMESTAMP NOT NULL, arrival_time TIMESTAMP NOT NULL, distance_km DOUBLE NOT NULL, status VARCHAR NOT NULL);
CREATE TABLE passengers (id INTEGER PRIMARY KEY, full_name VARCHAR NOT NULL, email VARCHAR NOT NULL, birth_date DATE NOT NULL, is_frequent_flyer BOOLEAN NOT NULL, lifetime_miles BIGINT NOT NULL);
CREATE TABLE bookings (id INTEGER PRIMARY KEY, flight_id INTEGER NOT NULL REFERENCES flights(id), passenger_id INTEGER NOT NULL REFERENCES passengers(id), seat_class VARCHAR NOT NULL, price DECIMAL(9, 2) NOT NULL, booked_at TIMESTAMP NOT NULL, checked_bags INTEGER);
INSERT INTO airports
VALUES
  (1, 'WNF', 'Northgate', 'Sunmere', 1689, FALSE),
  (2, 'VST', 'Fairhaven', 'Sunmere', 2239, FALSE),
  (3, 'KIL', 'Lakeport', 'Caldera', 2187, FALSE),
  (4, 'HDD', 'Brookvale', 'Norland', 1566, FALSE);
INSERT INTO aircraft
VALUES
  (1, 'NYX963', 'Skyliner 300', 250, 2012, TRUE),
  (2, 'NLV071', 'Longhaul 800', 280, 2003, FALSE),
  (3, 'NRT922', 'Longhaul 800', 210, 2013, TRUE),
  (4, 'NPD800', 'Longhaul 800', 310, 2017, TRUE);
INSERT INTO flights
VALUES
  (
    1,
    'MK2742',
    3,
    4,
    4,
    '2024-03-05 00:59:58',
    '2024-03-05 02:48:58',
    8043.0,
    'on time'
  ),
  (
    2,
    'KJ3215',
    4,
    2,
    1,
    '2024-09-27 07:09:53',
    '2024-09-27 09:33:53',
    4191.0,
    'diverted'
  ),
  (
    3,
    'VQ4899',
    3,
    2,
    3,
    '2024-07-27 09:34:29',
    '2024-07-27 22:59:29',
    7473.5,
    'diverted'
  );
INSERT INTO passengers
VALUES
  (1, 'Mira Petrov', 'ximena.easton64@example.net', '1994-06-21', FALSE, 2908100),
  (2, 'Ivy Eriksen', 'jasper.jarvis84@inbox.test', '1965-03-20', TRUE, 2898300),
  (3, 'Noah Dalton', 'ximena.mercer91@example.org', '2002-02-12', FALSE, 2571300),
  (4, 'Darius Mercer', 'noah.petrov33@example.net', '1965-03-20', FALSE, 751600),
  (5, 'Dmitri Fontaine', 'pablo.mercer22@mail.test', '1993-06-10', FALSE, 266200);
INSERT INTO bookings
VALUES
  (70001, 1, 4, 'economy', 4108.08, '2023-10-13 03:55:24', 3),
  (70002, 1, 4, 'business', 1519.97, '2024-02-20 19:51:22', 2),
  (70003, 1, 4, 'business', 4040.13, '2023-10-14 13:19:29', 3);
