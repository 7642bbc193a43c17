CREATE TABLE branches (id INTEGER PRIMARY KEY, branch_name VARCHAR NOT NULL, opened_date DATE NOT NULL, staff_count INTEGER NOT NULL);
CREATE TABLE customers (id INTEGER PRIMARY KEY, full_name VARCHAR NOT NULL, email VARCHAR NOT NULL, birth_date DATE NOT NULL, city VARCHAR NOT NULL, credit_score INTEGER, is_premium BOOLEAN NOT NULL);
CREATE TABLE accounts (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id), branch_id INTEGER NOT NULL REFERENCES branches(id), account_type VARCHAR NOT NULL, balance DECIMAL(14, 2) NOT NULL, interest_rate DOUBLE NOT NULL, opened_date DATE NOT NULL, is_closed BOOLEAN NOT NULL);
CREATE TABLE transactions (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL REFERENCES accounts(id), transaction_type VARCHAR NOT NULL, amount DECIMAL(12, 2) NOT NULL, posted_at TIMESTAMP NOT NULL, merchant VARCHAR NOT NULL);
INSERT INTO branches
VALUES
  (1, 'Eastbrook', '2014-07-28', 12),
  (2, 'Northgate', '2014-07-28', 50),
  (3, 'Fairhaven', '2015-02-17', 12);
INSERT INTO customers
VALUES
  (
    1,
    'Leon Petrov',
    'maya.lockwood83@example.com',
    '1980-09-11',
    'Stonebridge',
    428,
    TRUE
  ),
  (
    2,
    'Jasper Thorne',
    'wesley.castillo24@example.org',
    '1979-04-16',
    'Eastbrook',
    825,
    FALSE
  ),
  (
    3,
    'Darius Easton',
    'farid.petrov73@example.com',
    '1975-01-21',
    'Eastbrook',
    683,
    FALSE
  ),
  (
    4,
    'Amara Delacroix',
    'olivia.yamada54@example.com',
    '1973-05-21',
    'Stonebridge',
    495,
    FALSE
  ),
  (
    5,
    'Greta Novak',
    'ines.valente68@inbox.test',
    '1955-06-14',
    'Northgate',
    451,
    FALSE
  );
INSERT INTO accounts
VALUES
  (10001, 1, 1, 'savings', 178384.02, 2.9, '2021-09-02', FALSE),
  (10002, 5, 1, 'checking', 54736.84, 2.35, '2015-09-24', FALSE),
  (10003, 3, 3, 'savings', 146970.16, 1.15, '2010-02-26', FALSE),
  (10004, 2, 1, 'money market', 178384.02, 4.0, '2010-02-26', TRUE),
  (10005, 3, 2, 'certificate', 52396.22, 0.85, '2018-12-19', FALSE);
INSERT INTO transactions
VALUES
  (1, 10005, 'interest', 13498.45, '2024-04-15 08:52:39', 'Silverline Holdings'),
  (2, 10005, 'withdrawal', 17342.33, '2024-09-25 10:15:26', 'Bluepeak Mutual'),
  (3, 10002, 'interest', 15896.48, '2024-06-09 16:28:07', 'Lumen Works'),
  (4, 10004, 'fee', 6465.01, '2024-12-24 18:00:57', 'Pioneer Labs'),
  (5, 10001, 'withdrawal', 8868.09, '2024-12-27 23:00:23', 'Brightstone Logistics'),
  (6, 10005, 'withdrawal', 19743.21, '2024-11-30 07:37:15', 'Brightstone Mutual');
