CREATE TABLE authors (id INTEGER PRIMARY KEY, full_name VARCHAR NOT NULL, nationality VARCHAR NOT NULL, birth_year INTEGER);
CREATE TABLE books (id INTEGER PRIMARY KEY, title VARCHAR NOT NULL, author_id INTEGER NOT NULL REFERENCES authors(id), genre VARCHAR NOT NULL, published_date DATE NOT NULL, page_count INTEGER NOT NULL, replacement_cost DECIMAL(6, 2) NOT NULL);
CREATE TABLE members (id INTEGER PRIMARY KEY, full_name VARCHAR NOT NULL, email VARCHAR NOT NULL, joined_date DATE NOT NULL, membership_type VARCHAR NOT NULL, is_active BOOLEAN NOT NULL);
CREATE TABLE loans (id INTEGER PRIMARY KEY, book_id INTEGER NOT NULL REFERENCES books(id), member_id INTEGER NOT NULL REFERENCES members(id), loan_date DATE NOT NULL, due_date DATE NOT NULL, return_date DATE, late_fee DECIMAL(5, 2));
INSERT INTO authors
VALUES
  (1, 'Bruno Hartley', 'Norlandic', 1926),
  (2, 'Samir Okafor', 'Calderan', 1929),
  (3, 'Henrik Hartley', 'Estmarkian', 1988),
  (4, 'Ines Garrido', 'Estmarkian', 1985),
  (5, 'Farid Hartley', 'Norlandic', 1898),
  (6, 'Tara Sandoval', 'Norlandic', 1948),
  (7, 'Gianna Delacroix', 'Norlandic', 1992),
  (8, 'Ximena Abbott', 'Valdorian', 1985),
  (9, 'Ada Brennan', 'Norlandic', 1932),
  (10, 'Ximena Jarvis', 'Sunmerian', 1931),
  (11, 'Tara Valente', 'Sunmerian', 1941),
  (12, 'Wesley Underwood', 'Sunmerian', 1947),
  (13, 'Rosa Sandoval', 'Norlandic', 1935),
  (14, 'Kira Yamada', 'Estmarkian', 1974),
  (15, 'Samir Jansen', 'Norlandic', 1975),
  (16, 'Pablo Lockwood', 'Norlandic', NULL),
  (17, 'Vera Yamada', 'Norlandic', 1915),
  (18, 'Umar Delacroix', 'Norlandic', 1899),
  (19, 'Noah Carrow', 'Sunmerian', NULL),
  (20, 'Henrik Fontaine', 'Norlandic', NULL),
  (21, 'Darius Eriksen', 'Norlandic', 1914),
  (22, 'Noah Mercer', 'Norlandic', 1923),
  (23, 'Bruno Novak', 'Estmarkian', 1988),
  (24, 'Gianna Thorne', 'Valdorian', 1980),
  (25, 'Umar Jarvis', 'Norlandic', 1891),
  (26, 'Jasper Okafor', 'Sunmerian', 1937),
  (27, 'Mira Grayson', 'Valdorian', 1930),
  (28, 'Keiko Fairbanks', 'Norlandic', 1992),
  (29, 'Elena Novak', 'Sunmerian', 1945),
  (30, 'Maya Grayson', 'Norlandic', 1959),
  (31, 'Olivia Underwood', 'Calderan', 1922),
  (32, 'Mira Valente', 'Sunmerian', 1991),
  (33, 'Gianna Brennan', 'Sunmerian', 1926),
  (34, 'Bruno Holloway', 'Valdorian', 1969),
  (35, 'Elena Sandoval', 'Norlandic', 1925),
  (36, 'Leon Jarvis', 'Norlandic', 1931),
  (37, 'Celine Easton', 'Valdorian', NULL);
INSERT INTO books
VALUES
  (1, 'The Hidden Kingdom', 12, 'biography', '1987-08-23', 224, 56.25),
  (2, 'The Frozen Shadow', 33, 'biography', '1987-08-23', 196, 7.75),
  (3, 'Crimson Horizon', 7, 'science fiction', '2004-10-29', 859, 39.75),
  (4, 'The Crimson Harbor', 24, 'history', '2016-01-28', 859, 28.25),
  (5, 'The Secret Harbor', 27, 'biography', '1988-07-23', 571, 78.50),
  (6, 'The Burning Kingdom', 14, 'mystery', '1985-07-15', 196, 38.25),
  (7, 'Distant Voyage', 22, 'poetry', '2020-12-09', 765, 36.75),
  (8, 'Golden Harbor', 4, 'science fiction', '1991-12-14', 467, 67.25),
  (9, 'Forgotten Empire', 9, 'history', '1964-05-15', 343, 67.25),
  (10, 'The Hidden Shadow', 35, 'biography', '1978-10-31', 265, 68.50),
  (11, 'The Broken Voyage', 24, 'poetry', '1991-11-05', 346, 60.50),
  (12, 'Bright Orchard', 27, 'biography', '1950-12-04', 366, 54.75),
  (13, 'The Wandering Shadow', 27, 'mystery', '1950-02-26', 698, 37.00),
  (14, 'The Last River', 31, 'biography', '2005-09-29', 229, 38.25),
  (15, 'Broken Garden', 12, 'fiction', '1950-02-26', 859, 75.25),
  (16, 'The Golden Promise', 21, 'biography', '1999-12-15', 276, 28.25),
  (17, 'The Wandering Garden', 15, 'fiction', '1979-10-01', 450, 46.75),
  (18, 'Bright River', 23, 'biography', '1967-10-10', 765, 23.00),
  (19, 'The Quiet River', 14, 'biography', '1995-10-21', 640, 48.00),
  (20, 'Endless Winter', 31, 'biography', '2020-02-13', 229, 36.75),
  (21, 'Endless Kingdom', 30, 'biography', '1963-01-09', 372, 55.00),
  (22, 'Secret Machine', 27, 'poetry', '1965-04-23', 352, 7.75),
  (23, 'The Wandering Voyage', 31, 'biography', '1991-04-03', 571, 61.50),
  (24, 'Crimson Orchard', 27, 'biography', '1987-08-23', 196, 50.25),
  (25, 'The Endless Orchard', 24, 'biography', '1973-12-19', 308, 72.00),
  (26, 'The Quiet Empire', 2, 'fantasy', '1955-03-27', 605, 32.75),
  (27, 'Frozen Garden', 27, 'biography', '1998-08-22', 196, 77.00),
  (28, 'Crimson Orchard', 12, 'poetry', '1994-05-03', 659, 75.75),
  (29, 'Endless Voyage', 27, 'biography', '1951-05-02', 861, 58.00),
  (30, 'The Forgotten Letter', 7, 'fiction', '1985-04-25', 844, 49.00),
  (31, 'Quiet Garden', 12, 'biography', '1957-10-18', 484, 55.00);
INSERT INTO members
VALUES
  (
    2001,
    'Ivy Osborne',
    'wesley.sandoval17@example.com',
    '2011-03-21',
    'standard',
    FALSE
  ),
  (
    2002,
    'Wesley Grayson',
    'jasper.sandoval76@example.com',
    '2018-04-02',
    'family',
    TRUE
  ),
  (
    2003,
    'Quinn Moreau',
    'keiko.eriksen62@example.org',
    '2010-04-09',
    'senior',
    TRUE
  ),
  (
    2004,
    'Elena Kowalski',
    'felix.garrido38@mail.test',
    '2019-06-08',
    'standard',
    TRUE
  ),
  (
    2005,
    'Farid Thorne',
    'quinn.underwood84@inbox.test',
    '2021-03-07',
    'standard',
    TRUE
  ),
  (
    2006,
    'Amara Valente',
    'darius.mercer2@example.com',
    '2019-06-06',
    'standard',
    TRUE
  ),
  (
    2007,
    'Jasper Nakamura',
    'farid.rasmussen61@mail.test',
    '2022-03-26',
    'standard',
    FALSE
  ),
  (2008, 'Keiko Lockwood', 'leon.eriksen91@mail.test', '2019-06-06', 'senior', TRUE),
  (2009, 'Tara Yamada', 'ivy.kessler83@mail.test', '2024-02-22', 'standard', TRUE),
  (
    2010,
    'Amara Eriksen',
    'hugo.moreau61@example.net',
    '2010-05-13',
    'senior',
    FALSE
  ),
  (2011, 'Yusuf Ashby', 'tara.thorne75@inbox.test', '2021-03-07', 'student', TRUE),
  (
    2012,
    'Felix Sandoval',
    'tara.lockwood30@example.org',
    '2023-07-12',
    'standard',
    TRUE
  ),
  (
    2013,
    'Jasper Fairbanks',
    'jasper.sandoval27@mail.test',
    '2024-04-17',
    'standard',
    TRUE
  ),
  (2014, 'Maya Ashby', 'gianna.carrow50@example.org', '2013-09-05', 'senior', TRUE),
  (
    2015,
    'Ines Fairbanks',
    'gianna.hartley15@inbox.test',
    '2024-04-17',
    'senior',
    FALSE
  ),
  (
    2016,
    'Samir Sandoval',
    'ada.kessler29@example.com',
    '2012-01-05',
    'student',
    TRUE
  ),
  (2017, 'Greta Yamada', 'maya.zeller78@example.net', '2012-08-21', 'senior', FALSE),
  (
    2018,
    'Leon Fairbanks',
    'felix.nakamura33@example.com',
    '2020-03-02',
    'standard',
    TRUE
  ),
  (
    2019,
    'Quinn Lockwood',
    'zoe.castillo17@example.com',
    '2019-06-08',
    'family',
    FALSE
  ),
  (
    2020,
    'Esme Quintero',
    'kira.delacroix59@example.net',
    '2019-09-17',
    'student',
    TRUE
  ),
  (
    2021,
    'Umar Underwood',
    'samir.moreau84@example.org',
    '2011-10-05',
    'standard',
    TRUE
  ),
  (2022, 'Zoe Abbott', 'leon.okafor95@example.org', '2015-11-06', 'senior', FALSE),
  (
    2023,
    'Felix Moreau',
    'henrik.okafor88@mail.test',
    '2011-06-05',
    'standard',
    TRUE
  ),
  (2024, 'Ada Kessler', 'keiko.lockwood97@mail.test', '2013-10-27', 'student', TRUE),
  (
    2025,
    'Samir Bellamy',
    'kira.rasmussen79@example.com',
    '2010-04-09',
    'senior',
    TRUE
  ),
  (
    2026,
    'Liam Easton',
    'dmitri.bellamy71@example.net',
    '2011-05-07',
    'family',
    TRUE
  ),
  (
    2027,
    'Jasper Thorne',
    'dmitri.jansen78@mail.test',
    '2010-06-29',
    'standard',
    TRUE
  ),
  (2028, 'Tara Bellamy', 'ivy.osborne24@example.com', '2011-01-14', 'student', TRUE),
  (2029, 'Wesley Eriksen', 'amara.jarvis38@mail.test', '2018-05-27', 'family', TRUE);
INSERT INTO loans
VALUES
  (1, 27, 2006, '2024-01-01', '2024-01-23', '2024-01-03', 10.00),
  (2, 13, 2019, '2023-06-24', '2023-07-09', '2023-07-31', 15.75),
  (3, 15, 2006, '2024-01-01', '2024-01-15', '2024-01-20', 15.75),
  (4, 27, 2006, '2023-01-09', '2023-01-24', NULL, 3.50),
  (5, 21, 2019, '2024-05-29', '2024-06-18', '2024-06-14', 17.50),
  (6, 15, 2005, '2023-08-22', '2023-09-15', '2023-08-25', 19.75),
  (7, 15, 2006, '2023-01-22', '2023-02-09', '2023-03-04', NULL),
  (8, 31, 2028, '2024-03-29', '2024-04-25', '2024-05-06', 12.75),
  (9, 7, 2018, '2023-01-22', '2023-02-15', '2023-02-25', 11.50),
  (10, 29, 2004, '2024-03-16', '2024-04-13', '2024-03-19', 20.00),
  (11, 12, 2009, '2024-05-19', '2024-06-05', '2024-06-17', 8.50),
  (12, 15, 2011, '2023-01-22', '2023-02-14', '2023-02-13', 12.75),
  (13, 30, 2026, '2024-05-03', '2024-05-21', '2024-05-23', 7.00),
  (14, 30, 2006, '2023-12-19', '2024-01-08', '2024-01-17', 19.25),
  (15, 28, 2028, '2023-03-26', '2023-04-17', NULL, 5.75),
  (16, 17, 2021, '2023-10-18', '2023-11-06', '2023-10-28', NULL),
  (17, 12, 2019, '2023-12-24', '2024-01-07', NULL, 8.75),
  (18, 28, 2011, '2023-05-04', '2023-05-20', '2023-05-06', 8.00),
  (19, 20, 2016, '2023-06-28', '2023-07-15', '2023-07-26', 9.25),
  (20, 12, 2022, '2023-01-09', '2023-02-03', '2023-02-15', 4.25),
  (21, 17, 2011, '2023-01-09', '2023-01-30', '2023-01-18', 19.00),
  (22, 3, 2006, '2024-03-29', '2024-04-20', '2024-04-29', 3.50),
  (23, 17, 2027, '2023-03-26', '2023-04-18', '2023-04-14', 5.50),
  (24, 20, 2022, '2023-05-13', '2023-05-29', '2023-06-25', 2.00),
  (25, 1, 2015, '2024-02-17', '2024-03-14', '2024-03-21', 9.50),
  (26, 23, 2018, '2023-06-02', '2023-06-19', '2023-07-13', 14.25),
  (27, 17, 2021, '2024-02-08', '2024-02-27', '2024-02-26', 0.75),
  (28, 17, 2001, '2023-11-08', '2023-11-23', '2023-11-12', 11.50),
  (29, 28, 2026, '2023-10-14', '2023-11-10', '2023-11-24', NULL),
  (30, 18, 2010, '2024-02-13', '2024-02-29', '2024-03-22', 12.75),
  (31, 20, 2019, '2023-12-30', '2024-01-24', '2023-12-31', 10.25);
