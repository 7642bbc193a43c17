CREATE TABLE locations (id INTEGER PRIMARY KEY, city VARCHAR NOT NULL, street_address VARCHAR NOT NULL, is_airport BOOLEAN NOT NULL, parking_spaces INTEGER NOT NULL);
CREATE TABLE cars (id INTEGER PRIMARY KEY, plate_number VARCHAR NOT NULL, make VARCHAR NOT NULL, car_class VARCHAR NOT NULL, model_year INTEGER NOT NULL, daily_rate DECIMAL(7, 2) NOT NULL, mileage_km INTEGER NOT NULL, home_location_id INTEGER NOT NULL REFERENCES locations(id));
CREATE TABLE customers (id INTEGER PRIMARY KEY, full_name VARCHAR NOT NULL, email VARCHAR NOT NULL, birth_date DATE NOT NULL, license_issued DATE NOT NULL, is_loyalty_member BOOLEAN NOT NULL);
CREATE TABLE rentals (id INTEGER PRIMARY KEY, car_id INTEGER NOT NULL REFERENCES cars(id), customer_id INTEGER NOT NULL REFERENCES customers(id), pickup_location_id INTEGER NOT NULL REFERENCES locations(id), return_location_id INTEGER REFERENCES locations(id), picked_up_at TIMESTAMP NOT NULL, returned_at TIMESTAMP, total_cost DECIMAL(9, 2) NOT NULL, fuel_level_pct DOUBLE);
INSERT INTO locations
VALUES
  (1, 'Maplewood', '560 Pine Court', TRUE, 230),
  (2, 'Oakridge', '119 Birch Drive', TRUE, 40),
  (3, 'Juniper Bay', '203 Sunset Court', FALSE, 90),
  (4, 'Ivywood', '724 Chestnut Court', TRUE, 120),
  (5, 'Stonebridge', '999 Birch Lane', FALSE, 310);
INSERT INTO cars
VALUES
  (1, 'QMF5771', 'Norvik', 'compact', 2013, 59.50, 129765, 4),
  (2, 'DZO5397', 'Norvik', 'luxury', 2013, 194.50, 129765, 1),
  (3, 'FGU4854', 'Mistral', 'suv', 2013, 61.00, 14960, 5),
  (4, 'DAN5405', 'Norvik', 'van', 2012, 139.50, 129765, 3);
INSERT INTO customers
VALUES
  (1, 'Keiko Brennan', 'ivy.bellamy95@inbox.test', '1996-06-14', '2015-01-01', TRUE),
  (
    2,
    'Amara Underwood',
    'clara.yamada55@inbox.test',
    '1962-09-23',
    '1970-07-15',
    TRUE
  ),
  (
    3,
    'Hugo Petrov',
    'maya.quintero85@example.net',
    '1960-01-12',
    '1979-09-23',
    TRUE
  ),
  (
    4,
    'Farid Valente',
    'amara.dalton44@example.net',
    '1961-01-02',
    '2015-01-01',
    TRUE
  );
INSERT INTO rentals
VALUES
  (1, 2, 2, 1, 1, '2024-03-21 10:34:49', '2024-03-30 12:25:49', 3607.84, 26.0),
  (2, 1, 2, 1, 2, '2024-04-18 05:57:28', '2024-04-20 08:23:28', 3607.84, 87.0),
  (3, 2, 3, 4, 4, '2024-05-04 21:08:20', '2024-05-10 06:41:20', 1651.79, 2.5),
  (4, 2, 3, 3, 4, '2024-07-12 04:35:33', '2024-07-20 11:06:33', 1651.79, 23.5),
  (5, 4, 4, 4, NULL, '2024-06-26 15:58:35', '2024-07-09 09:25:35', 3367.37, NULL),
  (6, 1, 1, 5, 5, '2024-10-30 04:43:02', '2024-11-04 03:55:02', 3837.78, 15.5);
