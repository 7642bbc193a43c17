CREATE TABLE branches (id INTEGER PRIMARY KEY, branch_name VARCHAR NOT NULL, opened_date DATE NOT NULL, staff_count INTEGER NOT NULL);
CREATE TABLE customers (id INTEGER PRIMARY KEY, full_name VARCHAR NOT NULL, email VARCHAR NOT NULL, birth_date DATE NOT NULL, city VARCHAR NOT NULL, credit_score INTEGER, is_premium BOOLEAN NOT NULL);
CREATE TABLE accounts (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id), branch_id INTEGER NOT NULL REFERENCES branches(id), account_type VARCHAR NOT NULL, balance DECIMAL(14, 2) NOT NULL, interest_rate DOUBLE NOT NULL, opened_date DATE NOT NULL, is_closed BOOLEAN NOT NULL);
CREATE TABLE transactions (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts(id), transaction_type VARCHAR NOT NULL, amount DECIMAL(12, 2) NOT NULL, posted_at TIMESTAMP NOT NULL, merchant VARCHAR NOT NULL);
INSERT INTO branches
VALUES
  (1, 'Stonebridge', '1997-02-26', 52),
  (2, 'Ashford', '2010-12-05', 3),
  (3, 'Maplewood', '1993-06-07', 42),
  (4, 'Eastbrook', '1988-01-19', 3),
  (5, 'Lakeport', '2007-08-21', 58),
  (6, 'Juniper Bay', '1997-02-26', 3),
  (7, 'Highfield', '2006-05-04', 28),
  (8, 'Kingsbury', '1989-12-07', 57),
  (9, 'Westmere', '1995-06-18', 29),
  (10, 'Glenrock', '1997-02-26', 45),
  (11, 'Ivywood', '1998-09-12', 52),
  (12, 'Brookvale', '2018-05-16', 45),
  (13, 'Pinecrest', '2019-12-19', 34),
  (14, 'Fairhaven', '1991-06-30', 44),
  (15, 'Silverton', '2021-11-06', 31),
  (16, 'Clearwater', '1980-03-20', 5),
  (17, 'Northgate', '1998-08-27', 22),
  (18, 'Oakridge', '1991-04-19', 24),
  (19, 'Dunmore', '1989-07-26', 22),
  (20, 'Redcliff', '2007-08-21', 26);
INSERT INTO customers
VALUES
  (
    1,
    'Liam Holloway',
    'rosa.eriksen19@example.net',
    '1986-02-08',
    'Silverton',
    726,
    FALSE
  ),
  (
    2,
    'Jasper Bellamy',
    'felix.yamada93@mail.test',
    '1978-07-26',
    'Kingsbury',
    474,
    TRUE
  ),
  (
    3,
    'Greta Underwood',
    'boris.petrov54@example.net',
    '1963-09-01',
    'Northgate',
    645,
    FALSE
  ),
  (
    4,
    'Jonas Fairbanks',
    'henrik.jarvis12@example.net',
    '1955-08-03',
    'Silverton',
    645,
    FALSE
  ),
  (
    5,
    'Esme Fontaine',
    'noah.thorne93@mail.test',
    '1986-03-25',
    'Glenrock',
    602,
    FALSE
  ),
  (
    6,
    'Quinn Underwood',
    'mira.moreau41@example.com',
    '1992-01-16',
    'Glenrock',
    550,
    FALSE
  ),
  (
    7,
    'Darius Valente',
    'quinn.hartley15@example.org',
    '1948-10-06',
    'Kingsbury',
    512,
    TRUE
  ),
  (
    8,
    'Celine Jarvis',
    'olivia.ingram59@example.net',
    '1948-10-06',
    'Eastbrook',
    417,
    FALSE
  ),
  (
    9,
    'Boris Easton',
    'gianna.ingram86@mail.test',
    '1948-10-06',
    'Highfield',
    358,
    FALSE
  ),
  (
    10,
    'Greta Lockwood',
    'yusuf.valente46@mail.test',
    '1989-06-09',
    'Ivywood',
    726,
    FALSE
  ),
  (
    11,
    'Ines Dalton',
    'elena.grayson94@inbox.test',
    '1974-10-13',
    'Clearwater',
    472,
    FALSE
  ),
  (
    12,
    'Felix Rasmussen',
    'greta.ashby41@inbox.test',
    '1944-01-08',
    'Glenrock',
    356,
    TRUE
  ),
  (
    13,
    'Farid Castillo',
    'esme.petrov2@example.org',
    '1975-01-13',
    'Glenrock',
    335,
    FALSE
  ),
  (
    14,
    'Dmitri Okafor',
    'leon.zeller8@inbox.test',
    '1975-01-13',
    'Glenrock',
    824,
    FALSE
  ),
  (
    15,
    'Tara Whitfield',
    'mira.jarvis27@example.org',
    '1985-06-27',
    'Glenrock',
    651,
    FALSE
  ),
  (
    16,
    'Ines Dalton',
    'umar.mercer22@example.net',
    '1964-12-18',
    'Northgate',
    733,
    FALSE
  ),
  (
    17,
    'Pablo Zeller',
    'umar.novak15@example.com',
    '1944-10-30',
    'Stonebridge',
    NULL,
    FALSE
  ),
  (
    18,
    'Keiko Brennan',
    'yusuf.jarvis30@mail.test',
    '1955-12-23',
    'Kingsbury',
    381,
    TRUE
  ),
  (
    19,
    'Greta Whitfield',
    'esme.fontaine48@example.net',
    '1982-09-11',
    'Northgate',
    NULL,
    FALSE
  ),
  (
    20,
    'Maya Quintero',
    'mira.bellamy56@example.org',
    '1992-06-04',
    'Highfield',
    816,
    TRUE
  ),
  (
    21,
    'Bruno Castillo',
    'vera.easton15@inbox.test',
    '1982-01-09',
    'Northgate',
    381,
    FALSE
  ),
  (
    22,
    'Leon Brennan',
    'keiko.quintero68@example.net',
    '1991-01-22',
    'Clearwater',
    847,
    FALSE
  ),
  (
    23,
    'Tara Zeller',
    'tara.okafor42@example.org',
    '1989-06-09',
    'Lakeport',
    683,
    TRUE
  ),
  (
    24,
    'Darius Nakamura',
    'gianna.grayson50@mail.test',
    '1985-06-27',
    'Eastbrook',
    656,
    FALSE
  ),
  (
    25,
    'Umar Kowalski',
    'celine.kowalski13@example.com',
    '1983-01-01',
    'Northgate',
    726,
    TRUE
  );
INSERT INTO accounts
VALUES
  (10001, 4, 18, 'savings', 218993.57, 2.65, '2023-07-15', TRUE),
  (10002, 12, 18, 'certificate', 189578.28, 0.3, '2015-11-06', FALSE),
  (10003, 10, 13, 'money market', 140560.72, 1.7, '2008-08-25', FALSE),
  (10004, 5, 5, 'certificate', 37141.69, 0.1, '2015-01-24', FALSE),
  (10005, 16, 15, 'certificate', 206484.38, 0.9, '2011-08-22', FALSE),
  (10006, 18, 18, 'certificate', 39015.38, 0.3, '2019-03-05', FALSE),
  (10007, 2, 18, 'savings', 45033.91, 3.8, '2009-09-27', FALSE),
  (10008, 18, 18, 'certificate', 245415.85, 4.35, '2023-05-16', FALSE),
  (10009, 18, 14, 'certificate', 202924.47, 1.05, '2014-10-21', FALSE),
  (10010, 3, 6, 'certificate', 189578.28, 4.15, '2018-06-29', FALSE),
  (10011, 15, 18, 'certificate', 56291.71, 3.8, '2023-01-09', FALSE),
  (10012, 4, 18, 'savings', 206484.38, 3.8, '2009-08-10', FALSE),
  (10013, 5, 4, 'certificate', 206484.38, 1.7, '2006-09-28', FALSE),
  (10014, 13, 20, 'certificate', 56291.71, 0.6, '2023-01-10', FALSE),
  (10015, 13, 14, 'money market', 206484.38, 4.9, '2021-08-03', FALSE),
  (10016, 13, 18, 'certificate', 100634.83, 4.9, '2023-05-16', FALSE),
  (10017, 12, 14, 'savings', 56291.71, 1.75, '2011-04-20', FALSE),
  (10018, 20, 18, 'certificate', 100634.83, 0.15, '2006-09-28', FALSE),
  (10019, 9, 18, 'certificate', 159931.46, 1.05, '2011-02-12', FALSE),
  (10020, 18, 17, 'certificate', 108049.05, 0.75, '2017-11-01', FALSE),
  (10021, 24, 15, 'certificate', 205153.04, 5.0, '2007-02-23', FALSE),
  (10022, 3, 3, 'checking', 37141.69, 0.3, '2019-02-01', FALSE),
  (10023, 18, 18, 'certificate', 76565.08, 4.45, '2022-07-13', FALSE),
  (10024, 20, 20, 'savings', 108049.05, 3.65, '2023-05-02', TRUE),
  (10025, 8, 18, 'certificate', 32599.09, 3.3, '2023-06-02', FALSE),
  (10026, 8, 14, 'certificate', 161478.72, 4.0, '2014-12-23', FALSE),
  (10027, 1, 17, 'savings', 136469.83, 3.65, '2011-07-09', FALSE),
  (10028, 17, 5, 'certificate', 206484.38, 0.6, '2023-06-01', FALSE);
INSERT INTO transactions
VALUES
  (1, 10001, 'interest', 18143.55, '2024-07-20 18:55:25', 'Orchard Holdings'),
  (2, 10017, 'card payment', 18143.55, '2024-06-22 08:57:04', 'Ironleaf Holdings'),
  (3, 10026, 'fee', 18143.55, '2024-06-22 09:29:33', 'Brightstone Group'),
  (4, 10004, 'transfer', 8927.90, '2024-02-27 02:23:38', 'Harborlight Works'),
  (5, 10020, 'interest', 18143.55, '2024-03-20 08:35:01', 'Ironleaf Supply'),
  (6, 10021, 'interest', 18143.55, '2024-02-27 02:23:38', 'Granite Logistics'),
  (7, 10020, 'withdrawal', 6033.93, '2024-07-20 18:55:25', 'Vertex Works'),
  (8, 10020, 'interest', 13235.06, '2024-12-10 09:29:16', 'Evergreen Works'),
  (
    9,
    10009,
    'card payment',
    14001.06,
    '2024-02-27 02:23:38',
    'Harborlight Holdings'
  ),
  (10, 10022, 'interest', 14227.56, '2024-10-16 04:05:36', 'Silverline Group'),
  (11, 10009, 'interest', 18143.55, '2024-12-17 22:15:28', 'Lumen Labs'),
  (12, 10022, 'interest', 13736.16, '2024-01-07 01:26:23', 'Northwind Works'),
  (13, 10009, 'transfer', 3583.03, '2024-06-22 09:29:33', 'Brightstone Works'),
  (14, 10003, 'interest', 11622.80, '2024-08-26 03:07:19', 'Greenfield Mutual'),
  (15, 10026, 'deposit', 7177.42, '2024-09-18 08:36:16', 'Orchard Supply'),
  (16, 10009, 'card payment', 19014.17, '2024-10-16 04:05:36', 'Redwood Industries'),
  (17, 10026, 'deposit', 2928.21, '2024-06-08 19:31:12', 'Tidewater Supply'),
  (18, 10023, 'interest', 7177.42, '2024-05-31 21:10:12', 'Tidewater Partners'),
  (19, 10028, 'interest', 11427.71, '2024-01-01 18:48:16', 'Quarry Partners'),
  (20, 10007, 'interest', 5086.26, '2024-12-20 20:28:12', 'Pioneer Works'),
  (21, 10028, 'interest', 18974.25, '2024-11-22 00:52:40', 'Sterling Supply'),
  (22, 10024, 'transfer', 11777.12, '2024-06-22 09:29:33', 'Silverline Traders'),
  (23, 10026, 'interest', 10281.33, '2024-12-08 06:12:59', 'Vertex Industries'),
  (24, 10009, 'withdrawal', 3583.03, '2024-07-14 14:47:19', 'Bluepeak Supply'),
  (25, 10007, 'interest', 5030.27, '2024-01-19 08:43:08', 'Bluepeak Industries'),
  (26, 10001, 'interest', 18820.91, '2024-04-05 19:50:53', 'Evergreen Traders'),
  (27, 10024, 'fee', 18260.24, '2024-05-25 05:14:13', 'Redwood Labs'),
  (28, 10024, 'interest', 6534.47, '2024-12-30 00:59:43', 'Brightstone Group'),
  (29, 10017, 'transfer', 3125.73, '2024-08-09 09:33:51', 'Greenfield Works'),
  (30, 10020, 'deposit', 10506.58, '2024-11-10 23:13:22', 'Greenfield Industries'),
  (31, 10009, 'fee', 2561.24, '2024-02-10 17:11:22', 'Brightstone Industries'),
  (32, 10023, 'interest', 14306.87, '2024-10-05 16:12:35', 'Silverline Supply'),
  (33, 10009, 'interest', 4961.50, '2024-04-26 19:42:08', 'Silverline Supply'),
  (34, 10022, 'transfer', 2928.21, '2024-01-19 08:43:08', 'Willowmere Group'),
  (35, 10020, 'interest', 14190.43, '2024-04-17 16:28:06', 'Crescent Logistics'),
  (36, 10009, 'interest', 6010.72, '2024-09-01 12:14:07', 'Willowmere Holdings'),
  (37, 10017, 'deposit', 11166.64, '2024-05-25 05:14:13', 'Granite Supply'),
  (38, 10009, 'interest', 11921.27, '2024-08-28 10:04:39', 'Northwind Works'),
  (39, 10020, 'interest', 18143.55, '2024-02-27 02:23:38', 'Vertex Holdings');
